import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import { alarmPageSchema, alarmQuerySchema } from '@vigil/alarms';
import { issuedTokenSchema, linkQuerySchema, RECORD_ID_PATTERN, tokenInputSchema, tokenViewSchema, userViewSchema } from '@vigil/auth';
import { ALARM_ID_PATTERN, CAMERA_ID_PATTERN, cameraConfigSchema, cameraViewSchema, egressStatusSchema, stitchRequestSchema } from '@vigil/contracts';
import { apiErrorSchema, healthDownSchema, healthUpSchema } from '@vigil/platform';
import { auditPageSchema } from '@vigil/redis';
import { auditQuerySchema, loginSchema, meSchema, newUserSchema, userChangesSchema } from '../access/accounts.schemas';
import { alarmDetailSchema } from '../alarms/alarms.service';

/**
 * The schemas that get a name in the document (components/schemas), each the very schema the handlers validate
 * with or the one their answers are typed from.
 */
export const NAMED_SCHEMAS = {
  ApiError: apiErrorSchema,
  HealthUp: healthUpSchema,
  HealthDown: healthDownSchema,
  CameraConfig: cameraConfigSchema,
  CameraView: cameraViewSchema,
  StitchRequest: stitchRequestSchema,
  AlarmPage: alarmPageSchema,
  AlarmDetail: alarmDetailSchema,
  EgressStatus: egressStatusSchema,
  Login: loginSchema,
  Me: meSchema,
  TokenInput: tokenInputSchema,
  TokenView: tokenViewSchema,
  IssuedToken: issuedTokenSchema,
  NewUser: newUserSchema,
  UserChanges: userChangesSchema,
  UserView: userViewSchema,
  AuditPage: auditPageSchema,
} satisfies Record<string, ZodTypeAny>;
export type NamedSchemas = { [K in keyof typeof NAMED_SCHEMAS]: (typeof NAMED_SCHEMAS)[K] };

export const TAGS = {
  cameras: 'Cameras: their config (URLs masked), capture status and inference status. Viewers see only their cameras.',
  alarms: 'Alarms, newest first, with their clips and snapshots. Viewers see only the alarms of their cameras.',
  stitch: 'Panoramas: cameras made from two other cameras (url `stitch://left,right`), read through /api/cameras; their state is `stitch` there.',
  egress: "The egress service's pushes to RTMP/RTSP servers (on PORT in the all-in-one process).",
  auth: 'Signing in and out on the web page, and who the caller is.',
  tokens: 'API tokens for machines; the token text is shown once, at creation.',
  users: 'Accounts for people, who sign in on the web page.',
  audit: 'Who did what, when, from where (secrets masked).',
  health: 'Liveness and readiness: open to anyone, they say up or down and nothing more.',
  metrics: 'Prometheus metrics.',
  reference: 'This API reference.',
} as const;
export type Tag = keyof typeof TAGS;

export const SUCCESS_STATUSES = [200, 201, 202, 204, 206] as const;
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 416, 429, 503] as const;
type SuccessStatus = (typeof SUCCESS_STATUSES)[number];
type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** A header of an answer (a type, not an interface: OpenAPI's header objects take extension keys). */
export type HeaderDoc = { description: string; schema: { type: 'string' | 'integer' } };

/** One answer and its body, if it has one. */
export interface Reply {
  description: string;
  /** the body's media type; application/json unless named */
  type?: string;
  /** the zod schema a JSON body is typed from */
  schema?: ZodTypeAny;
  /** or a JSON schema, for a body no zod schema describes (a file, the metrics text) */
  raw?: Record<string, unknown>;
  headers?: Record<string, HeaderDoc>;
}

/** What the document says of one route besides what its decorators say (method, path, access). */
export interface RouteDoc {
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** every `:name` of the path, and nothing else */
  params?: AnyZodObject;
  query?: AnyZodObject | z.ZodEffects<AnyZodObject>;
  headers?: AnyZodObject;
  /** the JSON request body, as the handler parses it */
  body?: ZodTypeAny;
  replies: Partial<Record<SuccessStatus, Reply>>;
  /**
   * Error answers particular to this route, with their causes. Those every route of its kind gives are added by
   * the document: 401 and 403 from the access rule, 415 from the method, 400 and 413 from a body.
   */
  errors?: Partial<Record<ErrorStatus, string | Reply>>;
}

const cameraParams = z.object({ id: z.string().regex(CAMERA_ID_PATTERN).describe('camera id') });
const alarmParams = z.object({ id: z.string().regex(ALARM_ID_PATTERN).describe('alarm id') });
const recordParams = (what: string) => z.object({ id: z.string().regex(RECORD_ID_PATTERN).describe(`${what} id`) });
const signedLinkQuery = linkQuerySchema.partial();
const rangeHeader = z.object({ range: z.string().optional().describe('a byte range (`bytes=0-1023`), as players send to seek') });
const sessionCookie: Record<string, HeaderDoc> = { 'Set-Cookie': { description: 'the session cookie (HttpOnly, SameSite=Strict; Secure behind HTTPS)', schema: { type: 'string' } } };
const binary = (type: string, description: string): Reply => ({ description, type, raw: { type: 'string', contentMediaType: type } });

/**
 * Every route of every app, by the key Nest maps it under. The document takes each route's method, path and
 * access from the controllers themselves; a route missing here stops the process at start.
 */
export function routeDocs(s: NamedSchemas): Record<string, RouteDoc> {
  const notReady: Reply = { description: 'Redis does not answer or a component is degraded: their names only (why is in the log)', schema: s.HealthDown };
  return {
    'GET /api/cameras': {
      operationId: 'listCameras',
      tag: 'cameras',
      summary: 'The cameras the caller may see',
      description: 'Admins see why a camera fails; viewers a generic phrase.',
      replies: { 200: { description: 'the cameras', schema: z.array(s.CameraView) } },
    },
    'GET /api/cameras/:id': {
      operationId: 'getCamera',
      tag: 'cameras',
      summary: 'One camera',
      params: cameraParams,
      replies: { 200: { description: 'the camera', schema: s.CameraView } },
      errors: { 404: 'no such camera, or one out of the caller\'s scope (the answer is the same)' },
    },
    'POST /api/cameras': {
      operationId: 'createCamera',
      tag: 'cameras',
      summary: 'Adds a camera',
      description: 'The source must pass the source policy (media roots, devices, blocked networks) too.',
      body: s.CameraConfig,
      replies: { 201: { description: 'the camera as added', schema: s.CameraView } },
      errors: { 400: 'the body does not pass the schema or the source policy, or MAX_CAMERAS are there already: the message names the field', 409: 'a camera with this id exists (PUT replaces it)' },
    },
    'PUT /api/cameras/:id': {
      operationId: 'putCamera',
      tag: 'cameras',
      summary: 'Creates or replaces a camera',
      description: 'The body is a camera config; its `id` may be left out (the path names it) and must match the path when given.',
      params: cameraParams,
      body: s.CameraConfig,
      replies: { 200: { description: 'the camera as stored', schema: s.CameraView } },
      errors: { 400: 'the body does not pass the schema or the source policy, its id differs from the path, or MAX_CAMERAS are there already', 404: 'not a camera id' },
    },
    'DELETE /api/cameras/:id': {
      operationId: 'deleteCamera',
      tag: 'cameras',
      summary: 'Removes a camera',
      description: 'A panorama goes with the input cameras made for it.',
      params: cameraParams,
      replies: { 204: { description: 'removed' } },
      errors: { 404: 'no such camera', 409: 'the camera is an input of a panorama (remove the panorama first)' },
    },
    'POST /api/stitch': {
      operationId: 'createStitch',
      tag: 'stitch',
      summary: 'Adds a panorama of two cameras',
      description:
        'Each source is a camera id or a URL; a URL becomes an input camera `<id>-left` or `<id>-right` that belongs to the panorama (`partOf`) and is deleted with it. URLs pass the schema and the source policy as in POST /api/cameras. `output.url` pushes the panorama through egress. The panorama and its new inputs are written together or not at all; its state shows in `GET /api/cameras/:id` as `stitch`.',
      body: s.StitchRequest,
      replies: { 201: { description: 'the panorama camera as added', schema: s.CameraView } },
      errors: {
        400: 'the body does not pass the schema or the source policy (the message names the field), a source is not a captured camera (missing, a panorama itself, or another panorama\'s input), or MAX_CAMERAS would be passed',
        409: 'a camera with the panorama\'s id, or with the id of an input it would make, exists',
      },
    },
    'DELETE /api/stitch/:id': {
      operationId: 'deleteStitch',
      tag: 'stitch',
      summary: 'Removes a panorama and the input cameras made for it',
      description: 'The same as DELETE /api/cameras/:id on the panorama. Its frames stop within a pass of the stitch service (2 s).',
      params: cameraParams,
      replies: { 204: { description: 'removed' } },
      errors: { 404: 'no such panorama' },
    },
    'POST /api/stitch/:id/calibrate': {
      operationId: 'calibrateStitch',
      tag: 'stitch',
      summary: 'Calibrates a panorama again',
      description: 'The stitch replica making it matches features again on its next pair of frames (not held to STITCH_RECALIBRATE_MIN_SECONDS); the state is `calibrating` meanwhile.',
      params: cameraParams,
      replies: { 202: { description: 'asked for' } },
      errors: { 404: 'no such panorama' },
    },
    'GET /api/alarms': {
      operationId: 'listAlarms',
      tag: 'alarms',
      summary: 'A page of alarms, newest first',
      description: '`since` and `until` (epoch ms or ISO 8601) bound the start time, inclusive; pass `next` of a page as `cursor` for the next one.',
      query: alarmQuerySchema,
      replies: { 200: { description: 'one page', schema: s.AlarmPage } },
      errors: { 400: 'the query does not pass the schema: the message names the parameter' },
    },
    'GET /api/alarms/:id': {
      operationId: 'getAlarm',
      tag: 'alarms',
      summary: 'One alarm, with its webhook deliveries',
      params: alarmParams,
      replies: { 200: { description: 'the alarm', schema: s.AlarmDetail } },
      errors: { 400: 'not an alarm id', 404: "no such alarm, or one of a camera out of the caller's scope" },
    },
    'GET /api/alarms/:id/clip': {
      operationId: 'getAlarmClip',
      tag: 'alarms',
      summary: "The alarm's clip (MP4)",
      description: 'Answers Range requests, so a browser can seek. Webhook bodies carry signed links to it that work without an identity.',
      params: alarmParams,
      query: signedLinkQuery,
      headers: rangeHeader,
      replies: { 200: binary('video/mp4', 'the clip'), 206: binary('video/mp4', 'the requested range of the clip') },
      errors: { 400: 'not an alarm id', 404: 'no such alarm (or out of scope), no clip yet, or the clip is gone', 416: { description: 'a range past the end of the clip' } },
    },
    'GET /api/alarms/:id/snapshot': {
      operationId: 'getAlarmSnapshot',
      tag: 'alarms',
      summary: "The alarm's snapshot (JPEG, boxes drawn)",
      description: 'Webhook bodies carry signed links to it that work without an identity.',
      params: alarmParams,
      query: signedLinkQuery,
      replies: { 200: binary('image/jpeg', 'the snapshot') },
      errors: { 400: 'not an alarm id', 404: 'no such alarm (or out of scope), or no snapshot' },
    },
    'GET /api/egress': {
      operationId: 'listEgress',
      tag: 'egress',
      summary: 'The pushes this process runs',
      replies: { 200: { description: 'one entry per camera with an egress section', schema: z.array(s.EgressStatus) } },
    },
    'GET /api/egress/:camera': {
      operationId: 'getEgress',
      tag: 'egress',
      summary: "One camera's push",
      params: z.object({ camera: z.string().describe('camera id') }),
      replies: { 200: { description: 'the push', schema: s.EgressStatus } },
      errors: { 404: 'the camera has no push in this process' },
    },
    'POST /api/auth/login': {
      operationId: 'login',
      tag: 'auth',
      summary: 'Signs a person in: sets the session cookie',
      description: 'Limited per user name and per address; a wrong name and a wrong password get the same answer.',
      body: s.Login,
      replies: { 200: { description: 'signed in', schema: s.Me, headers: sessionCookie } },
      errors: { 401: 'wrong user name or password', 429: 'too many attempts for this name or from this address (Retry-After says when to try again)' },
    },
    'POST /api/auth/logout': {
      operationId: 'logout',
      tag: 'auth',
      summary: "Ends this browser's session and clears the cookie",
      description: 'Its sockets are disconnected on every replica.',
      replies: { 204: { description: 'signed out (also when no session was there)', headers: sessionCookie } },
    },
    'GET /api/auth/me': {
      operationId: 'whoAmI',
      tag: 'auth',
      summary: 'Who the caller is: name, role and cameras',
      replies: { 200: { description: 'the caller', schema: s.Me } },
    },
    'POST /api/tokens': {
      operationId: 'createToken',
      tag: 'tokens',
      summary: 'Makes an API token',
      description: 'The answer holds the token text; it is shown this once (only its hash is stored).',
      body: s.TokenInput,
      replies: { 201: { description: 'the token', schema: s.IssuedToken } },
      errors: { 400: 'the body does not pass the schema, `expiresAt` is not in the future, or the store is full' },
    },
    'GET /api/tokens': {
      operationId: 'listTokens',
      tag: 'tokens',
      summary: 'The API tokens, without their secrets',
      replies: { 200: { description: 'the tokens', schema: z.array(s.TokenView) } },
    },
    'DELETE /api/tokens/:id': {
      operationId: 'revokeToken',
      tag: 'tokens',
      summary: 'Revokes a token',
      description: 'At once, on every replica: the next request with it is a 401, and its sockets are disconnected.',
      params: recordParams('token'),
      replies: { 204: { description: 'revoked' } },
      errors: { 404: 'no such token' },
    },
    'POST /api/users': {
      operationId: 'createUser',
      tag: 'users',
      summary: 'Adds a user',
      body: s.NewUser,
      replies: { 201: { description: 'the user', schema: s.UserView } },
      errors: { 400: 'the body does not pass the schema, or the store is full', 409: 'the user name is taken' },
    },
    'GET /api/users': {
      operationId: 'listUsers',
      tag: 'users',
      summary: 'The users, without their password hashes',
      replies: { 200: { description: 'the users', schema: z.array(s.UserView) } },
    },
    'PUT /api/users/:id': {
      operationId: 'updateUser',
      tag: 'users',
      summary: "Changes a user's password, role or cameras",
      description: "A new password ends the user's sessions; any change reaches their open sockets at once. `cameras: null` lifts the camera limit.",
      params: recordParams('user'),
      body: s.UserChanges,
      replies: { 200: { description: 'the user as changed', schema: s.UserView } },
      errors: { 404: 'no such user' },
    },
    'DELETE /api/users/:id': {
      operationId: 'deleteUser',
      tag: 'users',
      summary: 'Removes a user',
      params: recordParams('user'),
      replies: { 204: { description: 'removed' } },
      errors: { 404: 'no such user' },
    },
    'GET /api/audit': {
      operationId: 'listAudit',
      tag: 'audit',
      summary: 'A page of the audit log, newest first',
      description: 'Pass `next` of a page as `before` for the next (older) one.',
      query: auditQuerySchema,
      replies: { 200: { description: 'one page', schema: s.AuditPage } },
      errors: { 400: 'the query does not pass the schema: the message names the parameter' },
    },
    'GET /livez': {
      operationId: 'live',
      tag: 'health',
      summary: 'Liveness: 200 while the process serves requests (Redis is not asked)',
      replies: { 200: { description: 'up', schema: s.HealthUp } },
    },
    'GET /readyz': {
      operationId: 'ready',
      tag: 'health',
      summary: "Readiness: 200 while Redis answers and this process's workers run",
      replies: { 200: { description: 'ready', schema: s.HealthUp } },
      errors: { 503: notReady },
    },
    'GET /healthz': {
      operationId: 'health',
      tag: 'health',
      summary: 'Readiness under its older name',
      replies: { 200: { description: 'ready', schema: s.HealthUp } },
      errors: { 503: notReady },
    },
    'GET /metrics': {
      operationId: 'metrics',
      tag: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      replies: { 200: { description: 'the metrics', type: 'text/plain', raw: { type: 'string' } } },
    },
    'GET /api/openapi.json': {
      operationId: 'openapi',
      tag: 'reference',
      summary: 'This document (OpenAPI 3.1)',
      replies: { 200: { description: 'the OpenAPI document', raw: { type: 'object' } } },
    },
    'GET /api/docs': {
      operationId: 'docs',
      tag: 'reference',
      summary: 'This document as a page to read',
      replies: { 200: { description: 'the reference page', type: 'text/html', raw: { type: 'string' } } },
    },
  };
}
