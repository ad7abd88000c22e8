import { DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfig, type VigilConfig } from './env';
import { SourcePolicy } from './source-policy';

/** Injection token for the validated VigilConfig. */
export const VIGIL_CONFIG = Symbol('VIGIL_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** Validates the environment once, at boot (or takes a ready config, as tests do). */
  static forRoot(config: VigilConfig = loadConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: VIGIL_CONFIG, useValue: config }, { provide: SourcePolicy, useValue: new SourcePolicy(config.sources) }],
      exports: [VIGIL_CONFIG, SourcePolicy],
    };
  }
}
