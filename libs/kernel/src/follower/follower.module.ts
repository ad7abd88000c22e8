import { Module } from '@nestjs/common';
import { RegistryChangedController } from './registry-changed.controller';
import { RegistryFollowers } from './registry-followers';

/**
 * Registry followers and the control message that wakes them. Every service module that follows the registry
 * imports it; Nest makes one instance per process, so the all-in-one process handles the message once for all.
 * Needs ConfigModule and RedisModule.
 */
@Module({ controllers: [RegistryChangedController], providers: [RegistryFollowers], exports: [RegistryFollowers] })
export class FollowerModule {}
