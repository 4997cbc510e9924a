// Writes the Java regex corpus: for every pattern of the model slice, inputs that java.util.regex matches and
// inputs it does not, with its answer (Pattern.matcher(input).matches(), the whole value, as AWS validates).
// Run through tools/pattern-corpus; src/model/pattern_corpus.rs checks our matcher against the result.
//
// Inputs for each pattern, deterministic for a given JDK:
// - boundaries: the empty string, every character of the pattern's alphabet alone, whitespace only;
// - strings generated from the pattern (each character drawn from those of the alphabet that Java matches
//   with the class or escape it stands for; two with every counted repetition at its maximum, like {0,62})
//   and kept if Java matches them;
// - single changes of each: a character deleted, inserted, replaced (ASCII and non-ASCII, and by a
//   character that looks like a digit, letter or space and is not an ASCII one), letter case swapped, a line
//   terminator or space added at either end, the string doubled or cut in half.
// The alphabet is the pattern's own characters, each with its neighbours (range ends and one past them),
// and a fixed set of control, space, line-terminator, non-ASCII letter, digit and symbol characters,
// supplementary ones among them, all assigned since Unicode 6 so that Java's and Rust's tables agree.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class PatternCorpus {
    private static final int[] EXTRA = {
        ' ', '\t', '\n', '\r', 0x0B, 0x0C, 0x00, 0x1F, 0x7F, 0x85, 0xA0, 0xAD, 0xB2, 0xDF, 0xE9, 0x130,
        0x17F, 0x301, 0x3A9, 0x661, 0x1234, 0x1680, 0x200B, 0x2028, 0x2029, 0x2160, 0x212A, 0x3000, 0x4E2D,
        0xFF10, 0xFF21, 0x10400, 0x1D7D8, 0x1F600,
        '-', '_', '.', '/', ':', '@', '=', '+', ',', '~', '^', '$', '*', '\\', '"', '\'', '[', ']', '!', '?',
        '0', '9', 'a', 'z', 'A', 'Z',
    };
    /** Characters that look like an ASCII digit, letter or space and are not one (to Java's \d \w \s). */
    private static final int[] DIGIT_LIKE = {0x661, 0x6F3, 0x966, 0xFF10, 0x1D7D8, 0xB2, 0x2160};
    private static final int[] LETTER_LIKE = {0xE9, 0xDF, 0x130, 0x17F, 0x212A, 0xFF21, 0x3A9, 0x10400, 0x4E2D};
    private static final int[] SPACE_LIKE = {0xA0, 0x85, 0x1680, 0x2028, 0x2029, 0x3000, 0x200B, 0x1C, 0x0B};
    private static final int MAX_PER_PATTERN = 360;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: PatternCorpus MODEL.json OUT.json");
            System.exit(2);
        }
        String model = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        TreeSet<String> patterns = patternsOf(model);
        StringBuilder out = new StringBuilder();
        out.append("{\n\"generator\": \"tools/pattern-corpus (tools/PatternCorpus.java)\",\n");
        out.append("\"java\": ").append(json(System.getProperty("java.version"))).append(",\n");
        out.append("\"patterns\": [\n");
        int index = 0;
        for (String source : patterns) {
            Pattern pattern = Pattern.compile(source);
            List<String> inputs = inputs(pattern, source, new Random(21L * 1000 + index));
            int matching = 0;
            out.append(index == 0 ? "" : ",\n").append("{\"pattern\": ").append(json(source));
            out.append(", \"cases\": [\n");
            for (int i = 0; i < inputs.size(); i++) {
                boolean matches = pattern.matcher(inputs.get(i)).matches();
                matching += matches ? 1 : 0;
                out.append(i == 0 ? "" : ",\n").append("[").append(json(inputs.get(i))).append(", ");
                out.append(matches).append("]");
            }
            out.append("\n]}");
            if (matching == 0 || matching == inputs.size()) {
                throw new IllegalStateException(source + ": " + matching + " of " + inputs.size() + " match");
            }
            System.err.printf("%-100s %4d inputs, %4d matching%n", source, inputs.size(), matching);
            index++;
        }
        out.append("\n]\n}\n");
        Files.writeString(Path.of(args[1]), out.toString(), StandardCharsets.UTF_8);
    }

    /** Every "pattern" string of the model (JSON written by tools/extract_model.py). */
    static TreeSet<String> patternsOf(String model) {
        TreeSet<String> found = new TreeSet<>();
        Matcher m = Pattern.compile("\"pattern\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(model);
        while (m.find()) {
            found.add(unescape(m.group(1)));
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no pattern in the model");
        }
        return found;
    }

    static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u': out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: out.append(e);
            }
        }
        return out.toString();
    }

    static List<String> inputs(Pattern pattern, String source, Random random) {
        int[] alphabet = alphabet(source);
        Set<String> inputs = new LinkedHashSet<>();
        inputs.add("");
        for (int c : alphabet) {
            inputs.add(new String(Character.toChars(c)));
        }
        inputs.add("   ");
        inputs.add(" \t ");
        Node tree = new Parser(source, alphabet).parse();
        List<String> walks = new ArrayList<>();
        for (int attempt = 0; walks.size() < 24 && attempt < 400; attempt++) {
            StringBuilder generated = new StringBuilder();
            tree.generate(generated, random, attempt < 2);
            if (pattern.matcher(generated).matches()) {
                walks.add(generated.toString());
            }
        }
        for (String walk : walks) {
            inputs.add(walk);
        }
        for (String walk : walks) {
            for (String changed : changes(walk, alphabet, random)) {
                if (inputs.size() >= MAX_PER_PATTERN) {
                    return new ArrayList<>(inputs);
                }
                inputs.add(changed);
            }
        }
        return new ArrayList<>(inputs);
    }

    /** The characters to build inputs from: the pattern's own, their neighbours, and EXTRA. */
    static int[] alphabet(String source) {
        TreeSet<Integer> set = new TreeSet<>();
        source.codePoints().forEach(c -> {
            set.add(c);
            if (Character.isLetterOrDigit(c)) {
                set.add(c - 1);
                set.add(c + 1);
            }
        });
        for (int c : EXTRA) {
            set.add(c);
        }
        set.removeIf(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE);
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A node of a pattern, as far as generating strings from it needs (Java is the judge of each string). */
    interface Node {
        void generate(StringBuilder out, Random random, boolean longest);
    }

    /**
     * Reads the subset of Java's syntax the model uses: literals, escapes, classes, '.', groups, look-arounds
     * (generating nothing: Java's answer decides), alternation, anchors and quantifiers.
     */
    static final class Parser {
        final String source;
        final int[] alphabet;
        int at;

        Parser(String source, int[] alphabet) {
            this.source = source;
            this.alphabet = alphabet;
        }

        Node parse() {
            Node node = alternation();
            if (at != source.length()) {
                throw new IllegalStateException(source + ": unexpected ')' at " + at);
            }
            return node;
        }

        Node alternation() {
            List<Node> branches = new ArrayList<>();
            branches.add(sequence());
            while (at < source.length() && source.charAt(at) == '|') {
                at++;
                branches.add(sequence());
            }
            return (out, random, longest) -> branches.get(random.nextInt(branches.size())).generate(out, random, longest);
        }

        Node sequence() {
            List<Node> items = new ArrayList<>();
            while (at < source.length() && source.charAt(at) != '|' && source.charAt(at) != ')') {
                items.add(quantified());
            }
            return (out, random, longest) -> items.forEach(n -> n.generate(out, random, longest));
        }

        Node quantified() {
            Node atom = atom();
            while (at < source.length()) {
                char c = source.charAt(at);
                int min;
                int max;
                if (c == '?') {
                    min = 0;
                    max = 1;
                    at++;
                } else if (c == '*') {
                    min = 0;
                    max = Integer.MAX_VALUE;
                    at++;
                } else if (c == '+') {
                    min = 1;
                    max = Integer.MAX_VALUE;
                    at++;
                } else if (c == '{') {
                    int close = source.indexOf('}', at);
                    String[] bounds = source.substring(at + 1, close).split(",", -1);
                    min = Integer.parseInt(bounds[0]);
                    max = bounds.length == 1 ? min : bounds[1].isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(bounds[1]);
                    at = close + 1;
                } else {
                    break;
                }
                if (at < source.length() && (source.charAt(at) == '?' || source.charAt(at) == '+')) {
                    at++; // lazy or possessive: the same strings
                }
                Node inner = atom;
                int lo = min;
                int hi = max;
                atom = (out, random, longest) -> {
                    int count = longest && hi <= 100 ? hi : lo + random.nextInt(Math.min(hi, lo + 6) - lo + 1);
                    for (int i = 0; i < count; i++) {
                        inner.generate(out, random, longest);
                    }
                };
            }
            return atom;
        }

        Node atom() {
            char c = source.charAt(at);
            if (c == '(') {
                at++;
                boolean lookaround = false;
                if (source.startsWith("?:", at)) {
                    at += 2;
                } else if (source.startsWith("?=", at) || source.startsWith("?!", at)) {
                    at += 2;
                    lookaround = true;
                } else if (source.startsWith("?<=", at) || source.startsWith("?<!", at)) {
                    at += 3;
                    lookaround = true;
                }
                Node inner = alternation();
                at++; // ')'
                return lookaround ? (out, random, longest) -> { } : inner;
            }
            if (c == '^' || c == '$') {
                at++;
                return (out, random, longest) -> { };
            }
            int start = at;
            if (c == '[') {
                int depth = 0;
                do {
                    char d = source.charAt(at);
                    if (d == '\\') {
                        at++;
                    } else if (d == '[') {
                        depth++;
                    } else if (d == ']') {
                        depth--;
                    }
                    at++;
                } while (depth > 0);
            } else if (c == '\\') {
                at += 2;
                if (at < source.length() && (source.charAt(at - 1) == 'p' || source.charAt(at - 1) == 'P')) {
                    at = source.indexOf('}', at) + 1;
                }
            } else {
                at++;
            }
            return characterOf(source.substring(start, at));
        }

        /** One character Java matches with `atom` (a literal, an escape, a class or '.'), from the alphabet. */
        Node characterOf(String atom) {
            Pattern single = Pattern.compile(atom);
            int[] members = java.util.Arrays.stream(alphabet)
                .filter(ch -> single.matcher(str(ch)).matches())
                .toArray();
            if (members.length == 0) {
                throw new IllegalStateException(source + ": nothing in the alphabet matches " + atom);
            }
            return (out, random, longest) -> out.appendCodePoint(members[random.nextInt(members.length)]);
        }
    }

    static List<String> changes(String s, int[] alphabet, Random random) {
        int[] cps = s.codePoints().toArray();
        List<String> out = new ArrayList<>();
        if (cps.length > 0) {
            int at = random.nextInt(cps.length);
            out.add(join(cps, 0, at) + join(cps, at + 1, cps.length));
            at = random.nextInt(cps.length);
            out.add(join(cps, 0, at) + str(EXTRA[random.nextInt(EXTRA.length)]) + join(cps, at + 1, cps.length));
            at = random.nextInt(cps.length);
            out.add(join(cps, 0, at) + str(alphabet[random.nextInt(alphabet.length)]) + join(cps, at + 1, cps.length));
            for (int i = 0; i < cps.length; i++) {
                if (Character.isLetter(cps[i])) {
                    int swapped = Character.isUpperCase(cps[i]) ? Character.toLowerCase(cps[i]) : Character.toUpperCase(cps[i]);
                    out.add(join(cps, 0, i) + str(swapped) + join(cps, i + 1, cps.length));
                    break;
                }
            }
            out.add(join(cps, 0, cps.length / 2));
            for (int k = 0; k < 2; k++) {
                at = random.nextInt(cps.length);
                int c = cps[at];
                int[] like = c >= '0' && c <= '9' ? DIGIT_LIKE
                    : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? LETTER_LIKE
                    : c == ' ' || c == '\t' ? SPACE_LIKE : EXTRA;
                out.add(join(cps, 0, at) + str(like[random.nextInt(like.length)]) + join(cps, at + 1, cps.length));
            }
        }
        int at = cps.length == 0 ? 0 : random.nextInt(cps.length + 1);
        out.add(join(cps, 0, at) + str(alphabet[random.nextInt(alphabet.length)]) + join(cps, at, cps.length));
        String[] ends = {"\n", " ", "\r\n", "\u2028", "\u0085", "\t"};
        String end = ends[random.nextInt(ends.length)];
        out.add(random.nextBoolean() ? s + end : end + s);
        out.add(s + s);
        return out;
    }

    static String str(int codePoint) {
        return new String(Character.toChars(codePoint));
    }

    static String join(int[] cps, int from, int to) {
        return new String(cps, from, Math.max(0, to - from));
    }

    /** A JSON string literal, ASCII only: everything else as \\u escapes (UTF-16, as JSON has them). */
    static String json(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7F) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.append('"').toString();
    }
}
