import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { projectRoot } from '@vigil/platform';
import { renderDocsPage } from './docs-page';
import { openApiDocument } from './openapi-document';
import { accessRuleReader, servedRoutes } from './served-routes';

/**
 * The API reference of this process, made once at start from its controllers: the OpenAPI document as JSON text and
 * the page made from it. A route that the reference does not describe stops the start (see openApiDocument).
 */
@Injectable()
export class ApiReference implements OnModuleInit {
  private json?: string;
  private html?: string;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const controllers = this.discovery.getControllers().flatMap((wrapper) => (wrapper.metatype ? [wrapper.metatype as Type] : []));
    const document = openApiDocument(servedRoutes(controllers, accessRuleReader(this.reflector)), projectVersion());
    this.json = JSON.stringify(document);
    this.html = renderDocsPage(document);
  }

  get document(): string {
    return this.ready(this.json);
  }

  get page(): string {
    return this.ready(this.html);
  }

  private ready(text: string | undefined): string {
    if (text === undefined) throw new Error('the API reference is made at start, and this process has not started');
    return text;
  }
}

function projectVersion(): string {
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}
