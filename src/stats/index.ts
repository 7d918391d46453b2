export { computeModelStats, type StatsOptions } from './model-stats';
export { exactHistograms } from './exact-histogram';
export { HEALTH } from './findings';
