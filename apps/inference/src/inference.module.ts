import { Module } from '@nestjs/common';
import { FollowerModule } from '@vigil/kernel';
import { DetectionOutputs } from './detection-outputs';
import { InferenceMetrics } from './inference-metrics';
import { InferenceService } from './inference.service';
import { ModelRuntime } from './model/model-runtime';

/** Detection on the latest frames. Needs ConfigModule, RedisModule, MetricsModule. */
@Module({ imports: [FollowerModule], providers: [InferenceService, ModelRuntime, DetectionOutputs, InferenceMetrics] })
export class InferenceModule {}
