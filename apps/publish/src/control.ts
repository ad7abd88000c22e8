/** Injection token of the NestJS Redis-transport client that sends control messages. */
export const CONTROL_CLIENT = Symbol('CONTROL_CLIENT');
