"""The colours of code blocks: two Pygments styles, light and dark, each held to WCAG's 4.5:1.

A style's token colours are measured against its background; Pygments' highlighted-line colour
is often translucent and too strong for its own comments (github-light-high-contrast's comments
reach 3.3:1 on it), so the highlighted line's background is blended towards the block's own
until every token reads on it too. Code that no token rule colours gets the style's text colour,
and line numbers a colour of the style's, never the page's, which was chosen for another background.
"""

from __future__ import annotations

from pygments.formatters import HtmlFormatter
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import Comment, Text, Token

from .assets import without_comments

AA = 4.5  # WCAG 2's contrast for body text


def rgb(colour: str, over: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[float, float, float]:
    """``#rrggbb``, ``#rgb`` or ``#rrggbbaa`` (composited over ``over``) as three 0-1 channels."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[at : at + 2], 16) / 255 for at in range(0, len(digits), 2)]
    alpha = channels[3] if len(channels) == 4 else 1.0
    pairs = zip(channels[:3], over, strict=True)
    return tuple(alpha * channel + (1 - alpha) * under for channel, under in pairs)


def hex_of(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in channels)


def luminance(channels: tuple[float, float, float]) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(style: StyleMeta) -> str:
    """The colour of code no token rule colours: the style's own, else black or white, whichever
    reads better on its background."""
    own = style.style_for_token(Text)["color"] or style.style_for_token(Token)["color"]
    if own:
        return "#" + own
    background = rgb(style.background_color)
    return max(("#000000", "#ffffff"), key=lambda colour: contrast(rgb(colour), background))


def line_number_colour(style: StyleMeta) -> str:
    """The colour of line numbers: the style's own, else its comments' (muted, and a token's)."""
    if style.line_number_color.startswith("#"):
        return style.line_number_color
    comment = style.style_for_token(Comment)["color"]
    return "#" + comment if comment else text_colour(style)


def token_colours(style: StyleMeta) -> set[str]:
    """Every colour the style gives text: its tokens, its default text and its line numbers."""
    tokens = {"#" + rules["color"] for _, rules in style if rules["color"]}
    return tokens | {text_colour(style), line_number_colour(style)}


def highlighted_line(style: StyleMeta) -> str:
    """The style's highlighted-line colour, blended towards its background in steps of a tenth
    until every token colour reaches :data:`AA` on it."""
    background = rgb(style.background_color)
    tint = rgb(style.highlight_color, over=background)
    colours = [rgb(colour) for colour in token_colours(style)]
    for step in range(11):
        share = step / 10
        blended = tuple((1 - share) * t + share * b for t, b in zip(tint, background, strict=True))
        if all(contrast(colour, blended) >= AA for colour in colours):
            return hex_of(blended)
    return style.background_color  # not reached: the tokens were measured on the background itself


def style_css(name: str) -> str:
    style = get_style_by_name(name)
    rules = HtmlFormatter(style=name).get_style_defs(".highlight")
    return (
        f"{rules}\n.highlight {{ color: {text_colour(style)}; }}\n"
        f".highlight .hll {{ background-color: {highlighted_line(style)}; }}\n"
        f".highlight [data-linenos]::before {{ color: {line_number_colour(style)}; }}\n"
    )


def code_style_css(light: str, dark: str) -> str:
    """Pygments colours for code blocks, the dark set behind prefers-color-scheme; without the
    comment Pygments writes after each rule (the token's name): 40 % of the file, gzipped."""
    css = f"{style_css(light)}\n@media (prefers-color-scheme: dark) {{\n{style_css(dark)}\n}}\n"
    return without_comments(css)
