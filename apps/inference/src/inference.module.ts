import { Module } from '@nestjs/common';
import { DetectionOutputs } from './detection-outputs';
import { InferenceMetrics } from './inference-metrics';
import { InferenceService } from './inference.service';
import { ModelRuntime } from './model/model-runtime';

/** Detection on the latest frames. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({ providers: [InferenceService, ModelRuntime, DetectionOutputs, InferenceMetrics] })
export class InferenceModule {}
