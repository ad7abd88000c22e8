import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { issueToken, tokenInputSchema, tokenView, type IssuedToken, type TokenView } from '@vigil/auth';
import { describeIssues } from '@vigil/config';
import { Access, Auditor, AuthStore, type AuthedRequest } from '@vigil/platform';
import { AuthStoreFullError } from '@vigil/redis';

/** API tokens for machines: the token text is shown once, at creation; only its hash is stored. */
@Controller('api/tokens')
@Access('admin')
export class TokensController {
  constructor(
    private readonly store: AuthStore,
    private readonly auditor: Auditor,
  ) {}

  @Post()
  async create(@Body() body: unknown, @Req() request: AuthedRequest): Promise<IssuedToken> {
    const parsed = tokenInputSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    let issued: ReturnType<typeof issueToken>;
    try {
      issued = issueToken(parsed.data, Date.now());
      await this.store.tokens.create(issued.record);
    } catch (error) {
      if (error instanceof RangeError) throw new BadRequestException(`expiresAt: ${error.message}`);
      if (error instanceof AuthStoreFullError) throw new BadRequestException(error.message);
      throw error;
    }
    const { name, role, cameras, expiresAt } = issued.record;
    await this.auditor.record(request, 'token.create', { target: issued.record.id, detail: { name, role, cameras, expiresAt } });
    return { ...tokenView(issued.record), token: issued.token };
  }

  @Get()
  list(): Promise<TokenView[]> {
    return this.store.tokens.list();
  }

  /** Takes effect at once on every replica: the next request with it is a 401, and its sockets are disconnected. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    if (!(await this.store.tokens.revoke(id))) throw new NotFoundException(`unknown token "${id.slice(0, 64)}"`);
    await this.auditor.record(request, 'token.revoke', { target: id });
  }
}
