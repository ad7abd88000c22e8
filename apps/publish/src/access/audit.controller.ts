import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { describeIssues } from '@vigil/config';
import { Access, AuthStore } from '@vigil/platform';
import type { AuditPage } from '@vigil/redis';
import { auditQuerySchema } from './accounts.schemas';

/** Who did what, when, from where: newest first, `before` for older pages. */
@Controller('api/audit')
@Access('admin')
export class AuditController {
  constructor(private readonly store: AuthStore) {}

  @Get()
  list(@Query() query: Record<string, unknown>): Promise<AuditPage> {
    const parsed = auditQuerySchema.safeParse(query);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    return this.store.audit.list(parsed.data);
  }
}
