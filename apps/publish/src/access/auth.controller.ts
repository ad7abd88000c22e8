import { BadRequestException, Body, Controller, Get, HttpCode, HttpException, HttpStatus, Inject, Post, Req, Res, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { Slots } from '@vigil/alarms';
import type { Response } from 'express';
import { dummyVerify, needsRehash, hashPassword, sessionIdentity, usernameSchema, verifyPassword, type Identity } from '@vigil/auth';
import { describeIssues, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { Access, Auditor, AuthStore, cookieOf, CurrentIdentity, SESSION_COOKIE, type ApiError, type AuthedRequest } from '@vigil/platform';
import { loginSchema, type Me } from './accounts.schemas';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

const WRONG = 'wrong user name or password';
/**
 * scrypt runs on Node's shared thread pool (about 170 ms a check here), which file reads and DNS lookups use too:
 * at most 2 checks at once, a few dozen waiting, and past that a 503 rather than a pool held for seconds.
 */
const PASSWORD_CHECKS = 2;
const PASSWORD_CHECKS_WAITING = 32;

@Controller('api/auth')
export class AuthController {
  private readonly checks = new Slots(PASSWORD_CHECKS);

  constructor(
    private readonly store: AuthStore,
    private readonly auditor: Auditor,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  /**
   * Signs a person in: limited per name and per address (every try counts, in one Redis step, so parallel guesses
   * cannot slip past), one answer for a wrong name and a wrong password, and as slow for both.
   */
  @Post('login')
  @Access('public')
  @HttpCode(200)
  async login(@Body() body: unknown, @Req() request: AuthedRequest, @Res({ passthrough: true }) response: Response): Promise<Me> {
    const parsed = loginSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    const { username, password } = parsed.data;
    const address = this.auditor.addressOf(request);
    const decision = await this.store.limiter.attempt({ username, address });
    // a name that is not a username is recorded as such, never as typed (it may be a password typed in the wrong box)
    const target = usernameSchema.safeParse(username).success ? username : '(not a user name)';
    if (!decision.allowed) {
      await this.auditor.record(request, 'login.fail', { target, detail: { reason: 'too many attempts' } });
      response.setHeader('Retry-After', String(Math.ceil(decision.retryAfterMs / 1000)));
      throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: `too many sign-in attempts: try again in ${Math.ceil(decision.retryAfterMs / 1000)} s` } satisfies ApiError, HttpStatus.TOO_MANY_REQUESTS);
    }
    const user = await this.store.users.getByUsername(username);
    if (this.checks.queued >= PASSWORD_CHECKS_WAITING) {
      response.setHeader('Retry-After', '1');
      throw new ServiceUnavailableException('too many sign-ins at once: try again in a second');
    }
    const valid = await this.checks.run(() => (user ? verifyPassword(password, user.passwordHash) : dummyVerify(password)));
    if (!user || !valid) {
      await this.auditor.record(request, 'login.fail', { target });
      throw new UnauthorizedException(WRONG);
    }
    await this.store.limiter.reset(username);
    if (needsRehash(user.passwordHash)) await this.store.users.rehash(user.id, await hashPassword(password));
    const { sessionId, record } = await this.store.sessions.create(user.id, this.config.auth.sessionMs);
    setSessionCookie(request, response, sessionId, this.config.auth.sessionMs, this.config.socket.trustProxyHops);
    const identity = sessionIdentity(user, { id: record.id, expiresAt: record.expiresAt });
    await this.auditor.record(request, 'login.success', { identity, target: user.username });
    return me(identity);
  }

  /** Ends this browser's session (its sockets are disconnected on every replica). */
  @Post('logout')
  @Access('public')
  @HttpCode(204)
  async logout(@Req() request: AuthedRequest, @Res({ passthrough: true }) response: Response): Promise<void> {
    const cookie = cookieOf(request.headers.cookie, SESSION_COOKIE);
    const session = cookie === undefined ? undefined : await this.store.sessions.get(cookie);
    const user = session && (await this.store.users.get(session.userId));
    if (cookie !== undefined) await this.store.sessions.delete(cookie);
    if (session && user) await this.auditor.record(request, 'logout', { identity: sessionIdentity(user, session), target: user.username });
    clearSessionCookie(request, response, this.config.socket.trustProxyHops);
  }

  @Get('me')
  @Access('viewer')
  whoAmI(@CurrentIdentity() identity: Identity): Me {
    return me(identity);
  }
}

function me(identity: Identity): Me {
  const { kind, id, name, role, cameras, expiresAt } = identity;
  return { kind, id, name, role, ...(cameras ? { cameras } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) };
}
