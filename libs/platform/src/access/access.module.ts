import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { Auditor } from './auditor';
import { AuthStore } from './auth-store';
import { Authenticator } from './authenticator';

/** Access control for every vigil process: the guard on every HTTP route, and what the auth routes and sockets use. */
@Global()
@Module({
  providers: [AuthStore, Authenticator, Auditor, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [AuthStore, Authenticator, Auditor],
})
export class AccessModule {}
