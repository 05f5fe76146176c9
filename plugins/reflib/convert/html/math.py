"""Stage 3: math becomes TeX, before anything hidden is dropped.

Pages carry math in several forms; each becomes one ``<span data-reflib-tex="...">`` that the
renderer writes as ``$...$`` (inline) or ``$$...$$`` (display):

* MathML (``<math>``): the TeX of its ``<annotation encoding="application/x-tex">`` when there
  is one (KaTeX, Wikipedia, many converters), else converted from the MathML elements by
  :func:`mathml_to_tex`;
* KaTeX (``.katex``, display in ``.katex-display``): its MathML; the HTML rendering is dropped;
* MathJax 2 (``<script type="math/tex">``, ``mode=display``) and MathJax 3
  (``<mjx-container>`` with its assistive MathML); the rendered boxes are dropped;
* Wikipedia (``.mwe-math-element``): the annotation, or the fallback image's alt text (TeX).

Text that is already TeX (``\\(...\\)``, ``$...$`` left for a script to render) stays text.
"""

from __future__ import annotations

from reflib.convert.html.dom import Element, classes, elements, remove, tag_of

TEX_ATTR = "data-reflib-tex"
DISPLAY_ATTR = "data-reflib-display"

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta",
    "ι": r"\iota", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi",
    "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau",
    "υ": r"\upsilon", "φ": r"\phi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
}
_OPERATORS = {
    "×": r"\times", "·": r"\cdot", "⋅": r"\cdot", "÷": r"\div", "±": r"\pm", "∓": r"\mp",
    "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim",
    "∝": r"\propto", "∞": r"\infty", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint",
    "∂": r"\partial", "∇": r"\nabla", "√": r"\surd", "→": r"\to", "←": r"\leftarrow",
    "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow",
    "↦": r"\mapsto", "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset",
    "⊆": r"\subseteq", "⊃": r"\supset", "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap",
    "∅": r"\emptyset", "∀": r"\forall", "∃": r"\exists", "¬": r"\neg", "∧": r"\wedge",
    "∨": r"\vee", "⊕": r"\oplus", "⊗": r"\otimes", "∘": r"\circ", "…": r"\ldots",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "′": "'", "″": "''", "⟨": r"\langle",
    "⟩": r"\rangle", "‖": r"\|", "∣": r"\mid", "≪": r"\ll", "≫": r"\gg", "⊥": r"\perp",
    "∠": r"\angle", "°": r"^\circ", "ℓ": r"\ell", "ℏ": r"\hbar", "ℝ": r"\mathbb{R}",
    "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "\u2061": "", "\u2062": "", "\u2063": "", "\u2064": "", "−": "-", "∗": "*",
}
_ACCENTS = {
    "^": r"\hat", "ˆ": r"\hat", "\u0302": r"\hat", "~": r"\tilde", "˜": r"\tilde",
    "\u0303": r"\tilde", "¯": r"\bar", "‾": r"\overline", "\u0305": r"\overline",
    "→": r"\vec", "⃗": r"\vec", "˙": r"\dot", "¨": r"\ddot", "⏞": r"\overbrace",
    "⏟": r"\underbrace", "_": r"\underline",
}
_FUNCTIONS = frozenset("sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln "
                       "lg exp lim max min sup inf det dim ker deg gcd arg Pr".split())
_NAMED_OPERATORS = {"lim": r"\lim", "max": r"\max", "min": r"\min", "sup": r"\sup",
                    "inf": r"\inf"}


def _symbol(text: str) -> str:
    out = []
    for ch in text:
        tex = _GREEK.get(ch) or _OPERATORS.get(ch)
        out.append(tex + " " if tex and tex.startswith("\\") else (tex if tex is not None else ch))
    return "".join(out).strip() if len(text) > 1 else "".join(out).rstrip()


def _group(tex: str) -> str:
    """``tex`` as one TeX argument (braced unless a single character or command)."""
    tex = tex.strip()
    if len(tex) == 1 or (tex.startswith("\\") and tex[1:].isalpha()):
        return tex
    return "{" + tex + "}"


def mathml_to_tex(el: Element, depth: int = 0) -> str:
    """TeX for a MathML element (best effort: the common presentation elements)."""
    if depth > 60:
        return el.text_content().strip()
    tag = tag_of(el).split(":")[-1]
    kids = [c for c in el if isinstance(c.tag, str)]

    def sub(i: int) -> str:
        return mathml_to_tex(kids[i], depth + 1) if i < len(kids) else ""

    text = (el.text or "").strip()
    if tag in ("mi", "mn", "mtext", "ms"):
        if tag == "mi" and text in _FUNCTIONS:
            return "\\" + text + " "
        if tag == "mtext":
            return r"\text{" + text + "}" if text else ""
        return _symbol(text)
    if tag == "mo":
        if text in _NAMED_OPERATORS:
            return _NAMED_OPERATORS[text] + " "
        sym = _symbol(text)
        return sym + " " if sym.startswith("\\") else sym
    if tag == "mspace":
        return r"\ "
    if tag == "msup":
        return _group(sub(0)) + "^" + _group(sub(1))
    if tag == "msub":
        return _group(sub(0)) + "_" + _group(sub(1))
    if tag == "msubsup":
        return _group(sub(0)) + "_" + _group(sub(1)) + "^" + _group(sub(2))
    if tag == "mfrac":
        if (el.get("linethickness") or "").strip() in ("0", "0px"):
            return r"\binom{" + sub(0) + "}{" + sub(1) + "}"
        return r"\frac{" + sub(0) + "}{" + sub(1) + "}"
    if tag == "msqrt":
        return r"\sqrt{" + _row([mathml_to_tex(k, depth + 1) for k in kids]) + "}"
    if tag == "mroot":
        return r"\sqrt[" + sub(1) + "]{" + sub(0) + "}"
    if tag in ("mover", "munder", "munderover"):
        base = sub(0)
        if tag == "mover" and len(kids) > 1:
            mark = kids[1].text_content().strip()
            if mark in _ACCENTS:
                return _ACCENTS[mark] + "{" + base + "}"
            return r"\overset{" + sub(1) + "}{" + base + "}"
        if tag == "munder":
            mark = kids[1].text_content().strip() if len(kids) > 1 else ""
            if mark in ("_", "‾", "\u0332"):
                return r"\underline{" + base + "}"
            if base.strip().startswith(("\\sum", "\\prod", "\\lim", "\\int", "\\max", "\\min")):
                return base.strip() + "_" + _group(sub(1))
            return r"\underset{" + sub(1) + "}{" + base + "}"
        if base.strip().startswith(("\\sum", "\\prod", "\\int", "\\bigcup", "\\bigcap")):
            return base.strip() + "_" + _group(sub(1)) + "^" + _group(sub(2))
        return r"\overset{" + sub(2) + r"}{\underset{" + sub(1) + "}{" + base + "}}"
    if tag == "mfenced":
        open_, close = el.get("open", "("), el.get("close", ")")
        inner = ", ".join(mathml_to_tex(k, depth + 1) for k in kids)
        return r"\left" + _fence(open_) + inner + r"\right" + _fence(close)
    if tag == "mtable":
        rows = []
        for row in kids:
            cells = [mathml_to_tex(c, depth + 1) for c in row if isinstance(c.tag, str)]
            rows.append(" & ".join(cells))
        return r"\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}"
    if tag in ("mphantom", "annotation", "annotation-xml", "none", "mprescripts"):
        return ""
    if tag == "semantics":
        return sub(0)
    if tag == "menclose" and "radical" in (el.get("notation") or ""):
        return r"\sqrt{" + "".join(mathml_to_tex(k, depth + 1) for k in kids) + "}"
    # math, mrow, mstyle, mpadded, merror, menclose, mtd ...: the children in a row
    return _row([_symbol(text), *(mathml_to_tex(k, depth + 1) for k in kids)])


def _row(parts: list[str]) -> str:
    """TeX pieces side by side, a space where two letters would otherwise merge (``\\le``
    then ``x`` must not become ``\\lex``)."""
    out = ""
    for part in parts:
        if out and part and out[-1].isalpha() and part[0].isalpha():
            out += " "
        out += part
    return out


def _fence(char: str) -> str:
    return {"{": r"\{", "}": r"\}", "": ".", "⟨": r"\langle", "⟩": r"\rangle",
            "|": "|", "‖": r"\|"}.get(char, char)


def _annotation_tex(el: Element) -> str | None:
    for node in el.iter():
        if tag_of(node).split(":")[-1] == "annotation" and \
                "tex" in (node.get("encoding") or "").lower():
            tex = (node.text or "").strip()
            if tex:
                return _strip_displaystyle(tex)
    return None


def _strip_displaystyle(tex: str) -> str:
    """Wikipedia wraps every formula in ``{\\displaystyle ...}``: keep what is inside."""
    if tex.startswith(r"{\displaystyle ") and tex.endswith("}"):
        return tex[len(r"{\displaystyle "):-1].strip()
    return tex


def _math_tex(math: Element) -> str:
    """The TeX of a ``<math>`` element: its annotation, else the converted MathML."""
    tex = _annotation_tex(math)
    if tex is not None:
        return tex
    return " ".join(mathml_to_tex(math).split())


def _replace(holder: Element, tex: str, display: bool) -> None:
    """Replace ``holder`` (and its subtree) by the TeX placeholder span."""
    span = holder.makeelement("span", {TEX_ATTR: tex, DISPLAY_ATTR: "1" if display else "0"})
    span.tail = holder.tail
    parent = holder.getparent()
    if parent is None:
        return
    parent.replace(holder, span)


def _is_display(el: Element) -> bool:
    node: Element | None = el
    for _ in range(4):
        if node is None:
            return False
        if (node.get("display") or "").lower() in ("block", "true") or \
                {"katex-display", "MathJax_Display", "mwe-math-element-display"} & set(classes(node)) \
                or (node.get("mode") or "") == "display":
            return True
        node = node.getparent()
    return False


def _attached(el: Element, top: Element) -> bool:
    """Whether ``el`` is still in the tree of ``top`` (not inside a replaced holder)."""
    last = el
    for ancestor in el.iterancestors():
        last = ancestor
    return last is top


def convert_math(root: Element) -> int:
    """Replace every math rendering below ``root`` by a TeX placeholder; return how many."""
    count = 0
    top = root.getroottree().getroot()
    for script in list(root.iter("script")):
        kind = (script.get("type") or "").lower()
        if kind.startswith("math/tex"):
            _replace(script, (script.text or "").strip(), "mode=display" in kind)
            count += 1
    scripts = count
    holders = [el for el in elements(root)
               if tag_of(el) == "mjx-container" or {"mwe-math-element", "katex"} & set(classes(el))]
    for el in holders:
        if not _attached(el, top):
            continue
        cls = set(classes(el))
        tag = tag_of(el)
        if "mwe-math-element" in cls:
            math = next((m for m in el.iter() if tag_of(m).split(":")[-1] == "math"), None)
            tex = _math_tex(math) if math is not None else None
            if tex is None:
                img = next(iter(el.iter("img")), None)
                tex = _strip_displaystyle((img.get("alt") or "").strip()) if img is not None \
                    else ""
            _replace(el, tex, _is_display(el) or (math is not None and _is_display(math)))
            count += 1
        elif "katex" in cls or tag == "mjx-container":
            math = next((m for m in el.iter() if tag_of(m).split(":")[-1] == "math"), None)
            if math is None:
                continue
            _replace(el, _math_tex(math), _is_display(el))
            count += 1
    for math in [m for m in elements(root) if tag_of(m).split(":")[-1] == "math"]:
        if not _attached(math, top):
            continue
        _replace(math, _math_tex(math), _is_display(math))
        count += 1
    if not scripts:
        return count
    # MathJax 2's rendered boxes and previews (the TeX is in the scripts converted above)
    rendered = ("MathJax", "MathJax_Display", "MathJax_Preview", "MathJax_SVG", "MathJax_CHTML",
                "MathJax_MathML")
    for el in [e for e in elements(root) if any(c in rendered for c in classes(e))]:
        if el.get(TEX_ATTR) is None and _attached(el, top):
            remove(el)
    return count
