// The preview's dark mode: the rule WeChat's reader applies to an article in dark mode, as
// its open-source algorithm mp-darkmode (MIT, github.com/wechatjs/mp-darkmode) documents it,
// written again here in a few lines so the preview needs nothing from outside. The browser
// suite pins it against the real library when that is installed (WXSYNC_MP_DARKMODE).
//
// Backgrounds: a neutral grey lighter than 40 % (HSL saturation 0) or anything of perceived
// brightness over 250 is inverted around the page's #191919; any other colour brighter than
// 190 is only dimmed to 190; one darker than 22 % lightness is lifted to 22 %. Text and
// borders: kept when they differ enough in brightness from their (converted) background,
// else their lightness is mirrored (90 % − L) or their brightness moved 65 away from it.
(function () {
  "use strict";
  const PAGE = [25, 25, 25]; // #191919
  const TEXT = [163, 163, 163]; // #a3a3a3
  const WHITE_LIKE = 250;
  const MAX_BG = 190;
  const MIN_OFFSET = 65;
  const HIGH_BG = 100;
  const GREY_L = 40;
  const LOW_L = 22;

  const brightness = ([r, g, b]) => (r * 299 + g * 587 + b * 114) / 1000;
  const PAGE_B = brightness(PAGE);
  const MAX_OFFSET = brightness(TEXT) - PAGE_B;

  function toHsl([r, g, b]) {
    r /= 255; g /= 255; b /= 255;
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    const l = (max + min) / 2;
    let h = 0, s = 0;
    if (max !== min) {
      const d = max - min;
      s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
      h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      h *= 60;
    }
    return [h, s * 100, l * 100];
  }

  function fromHsl([h, s, l]) {
    s /= 100; l /= 100;
    const k = n => (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    const f = n => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
    return [f(0) * 255, f(8) * 255, f(4) * 255];
  }

  function toBrightness(target, rgb) {
    const b = brightness(rgb);
    const ratio = b > 0 ? target / b : 0;
    return rgb.map(c => Math.min(255, c * ratio));
  }

  const PAGE_L = toHsl(PAGE)[2];

  function background(rgb) {
    const [h, s, l] = toHsl(rgb);
    const b = brightness(rgb);
    if ((Math.round(s * 1e6) === 0 && l > GREY_L) || b > WHITE_LIKE) {
      return fromHsl([0, 0, Math.min(100, 100 + PAGE_L - l)]);
    }
    if (b > MAX_BG) return toBrightness(MAX_BG, rgb);
    if (l < LOW_L) return fromHsl([h, s, LOW_L]);
    return rgb;
  }

  function foreground(rgb, bg, depth) {
    const bgB = brightness(bg);
    const b = brightness(rgb);
    const offset = Math.abs(bgB - b);
    const [h, s, l] = toHsl(rgb);
    if (b >= WHITE_LIKE) return rgb;
    if (offset > MAX_OFFSET && bgB <= PAGE_B + 2) return toBrightness(MAX_OFFSET + bgB, rgb);
    if (offset >= MIN_OFFSET || (depth || 0) > 4) return rgb;
    if (bgB >= HIGH_BG) {
      if (l > 90 - GREY_L) return foreground(fromHsl([h, s, 90 - l]), bg, (depth || 0) + 1);
      return toBrightness(Math.min(MAX_OFFSET, bgB - MIN_OFFSET), rgb);
    }
    if (l <= GREY_L) return foreground(fromHsl([h, s, 90 - l]), bg, (depth || 0) + 1);
    return toBrightness(Math.min(MAX_OFFSET, bgB + MIN_OFFSET), rgb);
  }

  function parse(css) {
    const m = /rgba?\(([^)]+)\)/.exec(css || "");
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return p.length >= 3 ? [p[0], p[1], p[2], p.length > 3 ? p[3] : 1] : null;
  }

  const css = rgb => `rgb(${rgb.slice(0, 3).map(Math.round).join(", ")})`;
  const SIDES = ["Top", "Right", "Bottom", "Left"];
  const saved = new Map();

  function hasText(el) {
    for (const n of el.childNodes) if (n.nodeType === 3 && n.textContent.trim()) return true;
    return false;
  }

  // Converts `root` and what it holds, once; `reset` puts the light styles back.
  function run(root) {
    if (saved.has(root)) return;
    const els = [root, ...root.querySelectorAll("*")];
    const light = els.map(el => {
      const cs = getComputedStyle(el);
      return {
        el,
        bg: parse(cs.backgroundColor),
        color: parse(cs.color),
        borders: SIDES.map(s => parseFloat(cs[`border${s}Width`]) > 0 && cs[`border${s}Style`] !== "none"
          ? parse(cs[`border${s}Color`]) : null),
      };
    });
    const bgOf = new Map();
    for (const { el, bg, color, borders } of light) {
      saved.set(el, el.getAttribute("style"));
      const own = bg && bg[3] >= 0.05 ? background(bg) : null;
      const eff = own || bgOf.get(el.parentElement) || PAGE;
      bgOf.set(el, eff);
      if (el === root) el.style.setProperty("background-color", css(own || PAGE), "important");
      else if (own) el.style.setProperty("background-color", css(own), "important");
      if (color && (hasText(el) || el === root)) {
        el.style.setProperty("color", css(foreground(color, eff)), "important");
      }
      borders.forEach((c, i) => {
        if (c) el.style.setProperty(`border-${SIDES[i].toLowerCase()}-color`, css(foreground(c, eff)), "important");
      });
    }
  }

  function reset() {
    for (const [el, style] of saved) {
      if (style === null) el.removeAttribute("style");
      else el.setAttribute("style", style);
    }
    saved.clear();
  }

  window.wxsyncDarkmode = { run, reset, background, foreground, brightness };
})();
