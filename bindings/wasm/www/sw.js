// Offline support: every file of the page is cached on first load. Requests go to the network
// first (so a rebuilt page is picked up at once) and fall back to the cache when the network is
// missing or slower than 3 s — a village with poor connectivity still gets the page.

const CACHE = 'fupin-page-v1';
const FILES = [
  './', 'index.html', 'style.css', 'app.js', 'dom.js', 'household-form.js', 'decision-view.js',
  'dashboard.js', 'charts.js', 'pkg/fupin.js', 'pkg/fupin_wasm.js', 'pkg/fupin_wasm_bg.wasm', 'village.jsonl',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('slow network')), ms));
}

self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'GET' || new URL(event.request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await Promise.race([fetch(event.request), timeout(3000)]);
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    } catch {
      const cached = await cache.match(event.request, { ignoreSearch: true });
      if (cached) return cached;
      throw new Error(`offline and not cached: ${event.request.url}`);
    }
  })());
});
