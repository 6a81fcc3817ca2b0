import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `npm run dev` proxies the API and the gateway to a node (HEARTH_NODE_URL), so the refresh
// cookie stays on one origin as it does when the node serves the built client.
const node = process.env.HEARTH_NODE_URL ?? 'http://127.0.0.1:8090';

export default defineConfig({
  plugins: [react()],
  build: { sourcemap: true },
  server: {
    proxy: {
      '/api/v1/gateway': { target: node.replace(/^http/, 'ws'), ws: true },
      '/api': node,
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
  },
});
