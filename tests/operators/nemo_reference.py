"""NeMo Curator's heuristic scores written plainly, one document at a time (re-derived from
its documentation and filter definitions), for comparison with Juicer's vectorized filters.
An undefined score (NeMo divides by zero) is None here."""
import re
from collections import Counter

ELLIPSIS = ["...", "[...]", "…", "(...)", "[…]", "-»", "read more..", "read more"]
BULLETS = "•‣⁃⁌⁍∙○●◘◦⦾⦿"
URL = re.compile(r"http[s]?://(?:[a-zA-Z]|[0-9]|[$-_@.&+]|[!*\(\),]|(?:%[0-9a-fA-F][0-9a-fA-F]))+")
POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "privacy overview",
          "use of cookies", "use cookies", "privacy & cookies policy", "privacy and cookies policy"]


def split_words(text, lang="en"):
    """NeMo's word splitter: jieba for Chinese, str.split() otherwise."""
    if lang == "zh":
        import jieba

        return list(jieba.cut(text))
    if lang == "ja":
        import MeCab

        parsed = MeCab.Tagger().parse(text)
        return [line.split("\t")[0] for line in parsed.strip().split("\n") if line and line != "EOS"]
    return text.split()


def sentences(text):
    return [x for x in text.split("\n") if x.strip()]


def per_char(text, count):
    return count / len(text) if text else 1.0


def safe(numerator, denominator):
    return numerator / denominator if denominator else None


def non_alpha_numeric(text):
    return per_char(text, len(text) - len(re.findall(r"[a-zA-Z0-9\n?!,.]", text)))


def numbers(text):
    return per_char(text, len(re.findall("[0-9]", text)))


def urls(text):
    return per_char(text, sum(len(u) for u in URL.findall(text)))


def white_space(text):
    return per_char(text, sum(c in "\t\n\r\b " for c in text))


def parentheses(text):
    return per_char(text, len(re.findall(r"{|}|⟨|⟩|\[|\]|\(|\)", text)))


def symbols_to_words(text):
    words = text.strip().split()
    symbols = sum(w in ELLIPSIS or len(re.findall("#+", w)) / len(w) > 0.5 for w in words)
    return safe(symbols, len(words))


def bullets(text):
    lines = sentences(text)
    return safe(sum(line.strip().startswith(tuple(BULLETS)) for line in lines), len(lines))


def long_word(text):
    return max((len(w) for w in text.strip().split()), default=0)


def word_count(text, lang="en"):
    return len(split_words(text.strip(), lang))


def boilerplate(text):
    paragraphs = text.split("\n\n")
    count = 0
    for paragraph in paragraphs:
        paragraph = paragraph.strip().lower()
        if "lorem ipsum" in paragraph:
            return 1.0
        count += any(p in paragraph for p in POLICY)
    return count / len(paragraphs)


def mean_word_length(text, lang="en"):
    lengths = [len(w) for w in split_words(text.strip(), lang) if len(w) > 0]
    return safe(sum(lengths), len(lengths))


def repeated(pieces, by_chars):
    if by_chars:
        return safe(len("".join(set(pieces))), len("".join(pieces)))
    return safe(len(set(pieces)), len(pieces))


def repeating_top_ngrams(text, n):
    words = text.strip().split()
    if len(words) < n:
        return 1.0
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    top = max(counts.values())
    best = next(g for g in grams if counts[g] == top)  # first to appear among the most frequent
    joined = " ".join(best)
    return (len(text) - len(text.replace(joined, ""))) / len(text)


def repeating_duplicate_ngrams(text, n):
    words = text.strip().split()
    if len(words) < n:
        return 1.0
    counts, duplicated, overlapping = {}, 0, 0
    for gram in [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]:
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] > 1:
            duplicated += sum(len(w) for w in gram[overlapping:]) + min(n - overlapping, n - 1)
            overlapping = n
        overlapping = max(overlapping - 1, 0)
    return duplicated / len(text)


def punctuation(text):
    lines = sentences(text)
    return safe(sum(not s.strip().endswith((".", "?", "!", '"', "'")) for s in lines), len(lines))


def ellipsis(text):
    lines = sentences(text)
    return safe(sum(s.strip().lower().endswith(tuple(ELLIPSIS)) for s in lines), len(lines))


def common_english_words(text, cutoff=2, stop_at_false=True):
    count = 0
    for word in text.strip().split():
        count += word in {"the", "be", "to", "of", "and", "that", "have", "with"}
        if stop_at_false and count >= cutoff:
            return count
    return count


def words_with_alphabets(text, alpha):
    words = text.strip().split()
    return safe(sum(any(c in alpha for c in w) for w in words), len(words))


def pornographic_urls(text):
    return float(any("porn" in u for u in URL.findall(text)))


def line_share(text):
    return repeated(sentences(text), False)


def line_char_share(text):
    return repeated(sentences(text), True)


def paragraph_share(text):
    return repeated(text.split("\n\n"), False)


def paragraph_char_share(text):
    return repeated(text.split("\n\n"), True)
