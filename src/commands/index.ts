// The command map (oclif "explicit" discovery): command id -> class. `runs:list` is `irnn runs list`.
import CampaignLane from './campaign/lane.js';
import CampaignSnapshot from './campaign/snapshot.js';
import CampaignStart from './campaign/start.js';
import CampaignStatus from './campaign/status.js';
import CampaignStop from './campaign/stop.js';
import ConfigCmd from './config.js';
import DataPrepare from './data/prepare.js';
import Report from './report.js';
import Run from './run.js';
import RunsList from './runs/list.js';
import RunsShow from './runs/show.js';
import Sweep from './sweep.js';
import SweepCollect from './sweep/collect.js';
import SweepsList from './sweeps/list.js';
import SweepsShow from './sweeps/show.js';
import Ui from './ui.js';
import WorkerCmd from './worker.js';

export const COMMANDS = {
  run: Run,
  config: ConfigCmd,
  'runs:list': RunsList,
  'runs:show': RunsShow,
  sweep: Sweep,
  'sweep:collect': SweepCollect,
  'sweeps:list': SweepsList,
  'sweeps:show': SweepsShow,
  worker: WorkerCmd,
  report: Report,
  'data:prepare': DataPrepare,
  ui: Ui,
  'campaign:start': CampaignStart,
  'campaign:stop': CampaignStop,
  'campaign:status': CampaignStatus,
  'campaign:snapshot': CampaignSnapshot,
  'campaign:lane': CampaignLane,
};
