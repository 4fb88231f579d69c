// A jest environment that keeps a test's output (stdout, stderr: the functions' JSON logs and metrics, Octokit's
// request log) and shows it only when the test fails, so a green `npm test` prints results, not thousands of log lines.
// OIDC_TEST_LOGS=1 shows everything as it happens.
const { Console } = require('node:console');
const { TestEnvironment } = require('jest-environment-node');

class QuietEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.buffer = [];
    this.originals = undefined;
  }

  capture() {
    if (process.env.OIDC_TEST_LOGS === '1' || this.originals) return;
    const streams = [process.stdout, process.stderr];
    this.originals = streams.map((s) => s.write);
    streams.forEach((stream, i) => {
      stream.write = (chunk, encoding, callback) => {
        this.buffer.push([i, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')]);
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') done();
        return true;
      };
    });
  }

  release(show, title) {
    if (!this.originals) return;
    const streams = [process.stdout, process.stderr];
    streams.forEach((stream, i) => {
      stream.write = this.originals[i];
    });
    this.originals = undefined;
    const lines = this.buffer;
    this.buffer = [];
    if (!show || lines.length === 0) return;
    process.stderr.write(`\n---- output of the failed test "${title}" ----\n`);
    for (const [i, text] of lines) streams[i].write(text);
    process.stderr.write('---- end of output ----\n');
  }

  async handleTestEvent(event) {
    switch (event.name) {
      case 'setup':
        // console.* of the tests and the code under test writes to the streams captured here.
        this.global.console = new Console(process.stdout, process.stderr);
        this.capture();
        break;
      case 'hook_failure':
        this.release(true, `${event.hook.type} hook`);
        this.capture();
        break;
      case 'test_done':
        this.release(event.test.errors.length > 0, event.test.name);
        this.capture();
        break;
      case 'run_finish':
        this.release(false, '');
        break;
      default:
    }
  }
}

module.exports = QuietEnvironment;
