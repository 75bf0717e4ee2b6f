/**
 * The site icon: a shield with a tick, in the link colour, as SVG (every current browser takes an
 * SVG icon). Served at a fixed URL; `/favicon.ico` redirects to it for clients that ask for that.
 */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<path fill="#0b5cad" d="M8 .5 14.5 3v4.5c0 4-2.8 6.9-6.5 8-3.7-1.1-6.5-4-6.5-8V3z"/>
<path fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" d="m5 8 2 2 4-4"/>
</svg>
`;
