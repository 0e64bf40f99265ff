// Preact with htm: components written as tagged templates, no build step (web/vendor by make install).
import { Component, h, render } from '../vendor/preact.js';
import htm from '../vendor/htm.js';

export { Component, render };
export { useCallback, useEffect, useMemo, useRef, useState } from '../vendor/preact-hooks.js';
export const html = htm.bind(h);
