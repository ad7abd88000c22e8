// The alarm store moved behind the Redis repositories (@vigil/redis) and its query types into @vigil/contracts;
// they are re-exported here for the code that reads them as part of the alarms library.
export { AlarmStore, alarmStoreProvider } from '@vigil/redis';
export { alarmPageSchema, alarmQuerySchema, ALARM_PAGE_DEFAULT, ALARM_PAGE_MAX, type AlarmPage, type AlarmQuery } from '@vigil/contracts';
