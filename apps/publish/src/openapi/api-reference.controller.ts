import { Controller, Get, Header } from '@nestjs/common';
import { Access } from '@vigil/platform';
import { ApiReference } from './api-reference';
import { DOCS_PAGE_CSP } from './docs-page';

/** Public: it describes the routes, not what is behind them (no camera, token or user appears in it). */
@Controller('api')
@Access('public')
export class ApiReferenceController {
  constructor(private readonly reference: ApiReference) {}

  @Get('openapi.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  document(): string {
    return this.reference.document;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DOCS_PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  page(): string {
    return this.reference.page;
  }
}
