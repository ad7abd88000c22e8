/** When violations become alarms, and what each alarm's clip covers. Every default lives here. */
export interface AlarmPolicy {
  /** an alarm ends when its rule has not been violated for this long, ms */
  quietMs: number;
  /** after an alarm of a camera + rule ends, no new one starts for this long (violations are counted, not raised), ms */
  cooldownMs: number;
  /** seconds of video before the alarm's start, ms */
  preMs: number;
  /** seconds of video after the alarm's last violation, ms */
  postMs: number;
  /** longest clip, ms: a violation that lasts longer keeps its alarm open, the clip stops here */
  maxClipMs: number;
}

export const DEFAULT_ALARM_POLICY: AlarmPolicy = {
  quietMs: 10_000,
  cooldownMs: 60_000,
  preMs: 5_000,
  postMs: 5_000,
  maxClipMs: 60_000,
};
