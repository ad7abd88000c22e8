import { BadRequestException, Body, ConflictException, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Put, Req } from '@nestjs/common';
import { hashPassword, newUserRecord, userView, type UserView } from '@vigil/auth';
import { describeIssues } from '@vigil/config';
import { Access, Auditor, AuthStore, type AuthedRequest } from '@vigil/platform';
import { AuthStoreFullError, UsernameTakenError } from '@vigil/redis';
import { newUserSchema, userChangesSchema } from './accounts.schemas';

/** Accounts for people, who sign in on the web page. Passwords are stored as scrypt hashes only. */
@Controller('api/users')
@Access('admin')
export class UsersController {
  constructor(
    private readonly store: AuthStore,
    private readonly auditor: Auditor,
  ) {}

  @Post()
  async create(@Body() body: unknown, @Req() request: AuthedRequest): Promise<UserView> {
    const parsed = newUserSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    const { password, ...input } = parsed.data;
    const record = newUserRecord(input, await hashPassword(password), Date.now());
    try {
      await this.store.users.create(record);
    } catch (error) {
      if (error instanceof UsernameTakenError) throw new ConflictException(error.message);
      if (error instanceof AuthStoreFullError) throw new BadRequestException(error.message);
      throw error;
    }
    await this.auditor.record(request, 'user.create', { target: record.username, detail: { id: record.id, role: record.role, cameras: record.cameras } });
    return userView(record);
  }

  @Get()
  list(): Promise<UserView[]> {
    return this.store.users.list();
  }

  /** A new password ends the user's sessions; any change reaches their open sockets at once. */
  @Put(':id')
  async update(@Param('id') id: string, @Body() body: unknown, @Req() request: AuthedRequest): Promise<UserView> {
    const parsed = userChangesSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    const { password, ...changes } = parsed.data;
    const updated = await this.store.users.update(id, { ...changes, ...(password ? { passwordHash: await hashPassword(password) } : {}) });
    if (!updated) throw new NotFoundException(`unknown user "${id.slice(0, 64)}"`);
    await this.auditor.record(request, 'user.update', { target: updated.username, detail: { ...changes, ...(password ? { password: 'changed' } : {}) } });
    return userView(updated);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() request: AuthedRequest): Promise<void> {
    const user = await this.store.users.get(id);
    if (!user || !(await this.store.users.delete(id))) throw new NotFoundException(`unknown user "${id.slice(0, 64)}"`);
    await this.auditor.record(request, 'user.delete', { target: user.username });
  }
}
