/**
 * Galata (Playwright) configuration: the system Chromium, headless; no video
 * or trace (they need Playwright's own downloads); JupyterLab started by the
 * webServer below on port 8888 with jupyter_server_test_config.py.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  outputDir: 'test-results',
  timeout: 120000,
  expect: { timeout: 20000 },
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    viewport: { width: 1400, height: 900 },
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.NBTRACK_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
