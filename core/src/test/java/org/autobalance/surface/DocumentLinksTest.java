package org.autobalance.surface;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link of the project's Markdown (the README, native-notes/ and the other notes of the checkout) leads
 * to a file or folder that exists, and a {@code #anchor} into a Markdown file to one of its headings, by GitHub's
 * rule for heading anchors. Notes are moved and renamed between sessions; a link the move broke is found here rather
 * than by a reader.
 *
 * <p>In a git checkout only the Markdown files git tracks are read, and a link must lead to a tracked file (or a folder
 * holding one): a link to a file that exists only in the author's checkout would be broken in the commit. Outside git
 * (an unpacked archive, or no git on the machine) every Markdown file is read and a link needs only an existing file.
 *
 * <p>The Markdown is read as CommonMark has it as far as these notes use it: fenced code (a run of three or more
 * {@code `} or {@code ~}, closed by a run of the same character at least as long) holds neither links nor headings;
 * an ATX heading ({@code #} … {@code ######}) may be indented up to three spaces. Not handled: setext headings (text
 * underlined by {@code ===} or {@code ---}) get no anchor; a code span wrapped across lines is not seen as one, so a
 * link-like text in it is checked; indented code blocks are read as text (four spaces also continue a list item,
 * and telling the two apart needs the list structure); a fence is recognised at any indentation.
 */
class DocumentLinksTest {
    /** An inline link or image, {@code [text](target)} or {@code [text](target "title")}. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    /** An ATX heading: up to three spaces, 1–6 {@code #}, its text, a closing run of {@code #} after a space. */
    private static final Pattern HEADING = Pattern.compile("^ {0,3}#{1,6}(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
    /** A code fence's line: the fence (three or more {@code `} or {@code ~}) and what follows it (the info string). */
    private static final Pattern FENCE = Pattern.compile("^\\s*(`{3,}|~{3,})(.*)$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
    private static final Pattern INLINE_LINK = Pattern.compile("\\[([^]]*)]\\([^)]*\\)");
    private static final Pattern HTML_TAG = Pattern.compile("</?[A-Za-z][^>]*>");
    /**
     * A {@code *} or {@code _} emphasis: markers that hug their text, and (what keeps snake_case words whole) not
     * inside a word.
     */
    private static final Pattern EMPHASIS =
            Pattern.compile("(?<![\\p{L}\\p{N}*_])([*_]{1,3})(?=\\S)(.+?)(?<=\\S)\\1(?![\\p{L}\\p{N}*_])");

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = Repository.root();
        Set<Path> tracked = tracked(root);
        List<Path> documents;
        if (tracked != null) {
            documents = tracked.stream().filter(p -> isDocument(root.relativize(p)) && Files.isRegularFile(p))
                    .sorted().toList();
        } else {
            try (Stream<Path> walk = Files.walk(root)) {
                documents = walk.filter(p -> isDocument(root.relativize(p)) && Files.isRegularFile(p)).sorted()
                        .toList();
            }
        }
        assertTrue(documents.contains(root.resolve("README.md")), "README.md not found under " + root);
        List<String> broken = new ArrayList<>();
        Map<Path, List<String>> anchors = new HashMap<>();
        for (Path document : documents) {
            broken.addAll(brokenLinks(root, document, tracked, anchors));
        }
        assertTrue(broken.isEmpty(), broken.size() + " broken links:\n" + String.join("\n", broken));
    }

    /**
     * The files git tracks under {@code root} and the folders that hold them (root included), as absolute paths; null
     * where {@code root} is not a git checkout or there is no git to ask.
     */
    static Set<Path> tracked(Path root) {
        byte[] listing;
        try {
            Process git = new ProcessBuilder("git", "-C", root.toString(), "ls-files", "-z")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            listing = git.getInputStream().readAllBytes();
            if (git.waitFor() != 0) {
                return null;
            }
        } catch (IOException e) {
            return null; // no git on this machine
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing the files git tracks", e);
        }
        Set<Path> tracked = new HashSet<>();
        tracked.add(root);
        for (String name : new String(listing, StandardCharsets.UTF_8).split("\0")) {
            Path p = root.resolve(name).normalize();
            while (!name.isEmpty() && tracked.add(p)) { // the file, then its folders up to one already known
                p = p.getParent();
            }
        }
        return tracked;
    }

    /**
     * The links of {@code document} that lead nowhere, as {@code file:line: target (why)}; {@code tracked} as
     * {@link #tracked} returns it.
     */
    static List<String> brokenLinks(Path root, Path document, Set<Path> tracked, Map<Path, List<String>> anchors)
            throws IOException {
        List<String> broken = new ArrayList<>();
        List<String> lines = Files.readAllLines(document, StandardCharsets.UTF_8);
        boolean[] fenced = fenced(lines);
        for (int i = 0; i < lines.size(); i++) {
            if (fenced[i]) {
                continue;
            }
            Matcher link = LINK.matcher(CODE_SPAN.matcher(lines.get(i)).replaceAll(""));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: — not a file of the checkout
                }
                String why = whyBroken(document, target, tracked, anchors);
                if (why != null) {
                    broken.add(root.relativize(document) + ":" + (i + 1) + ": " + target + " (" + why + ")");
                }
            }
        }
        return broken;
    }

    private static String whyBroken(Path document, String target, Set<Path> tracked, Map<Path, List<String>> anchors)
            throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? document : document.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (tracked != null && !tracked.contains(resolved)) {
            return "not tracked by git";
        }
        if (hash < 0 || !resolved.toString().endsWith(".md")) {
            return null;
        }
        String anchor = target.substring(hash + 1);
        List<String> known = anchors.get(resolved);
        if (known == null) {
            known = anchorsOf(Files.readAllLines(resolved, StandardCharsets.UTF_8));
            anchors.put(resolved, known);
        }
        return known.contains(anchor) ? null : "no heading with that anchor";
    }

    /** Which lines are fenced code, the fences included. */
    static boolean[] fenced(List<String> lines) {
        boolean[] fenced = new boolean[lines.size()];
        String open = null; // the opening fence, while inside one
        for (int i = 0; i < lines.size(); i++) {
            Matcher fence = FENCE.matcher(lines.get(i));
            boolean isFence = fence.matches();
            if (open == null) {
                // a backtick fence's info string holds no backtick (else the line is a code span)
                fenced[i] = isFence && !(fence.group(1).charAt(0) == '`' && fence.group(2).contains("`"));
                open = fenced[i] ? fence.group(1) : null;
            } else {
                fenced[i] = true;
                if (isFence && fence.group(1).charAt(0) == open.charAt(0) && fence.group(1).length() >= open.length()
                        && fence.group(2).isBlank()) {
                    open = null;
                }
            }
        }
        return fenced;
    }

    /** The anchors GitHub gives the headings of a Markdown file, in order (those in fenced code are not headings). */
    static List<String> anchorsOf(List<String> lines) {
        List<String> anchors = new ArrayList<>();
        Map<String, Integer> occurrences = new HashMap<>();
        boolean[] fenced = fenced(lines);
        for (int i = 0; i < lines.size(); i++) {
            Matcher heading = HEADING.matcher(lines.get(i));
            if (fenced[i] || !heading.matches()) {
                continue;
            }
            String slug = slug(heading.group(1) == null ? "" : heading.group(1));
            String anchor = slug;
            // github-slugger: a repeated slug takes the next number whose anchor is still free, so "Notes", "Notes 1",
            // "Notes" are notes, notes-1, notes-2
            while (occurrences.containsKey(anchor)) {
                anchor = slug + "-" + occurrences.merge(slug, 1, Integer::sum);
            }
            occurrences.put(anchor, 0);
            anchors.add(anchor);
        }
        return anchors;
    }

    /**
     * GitHub's anchor of a heading: its rendered text (links as their text, code spans as their content, emphasis
     * markers and HTML tags dropped) in lower case, with each space made a hyphen and only letters, marks, decimal
     * and letter numbers, connector punctuation ({@code _}) and hyphens kept — github-slugger's rule.
     */
    static String slug(String heading) {
        String linked = INLINE_LINK.matcher(heading).replaceAll("$1");
        StringBuilder text = new StringBuilder();
        Matcher code = CODE_SPAN.matcher(linked);
        int last = 0;
        while (code.find()) {
            text.append(renderedText(linked.substring(last, code.start()))).append(code.group(2));
            last = code.end();
        }
        text.append(renderedText(linked.substring(last)));
        StringBuilder slug = new StringBuilder();
        text.toString().toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
            if (c == ' ') {
                slug.append('-');
            } else if (isKept(c)) {
                slug.appendCodePoint(c);
            }
        });
        return slug.toString();
    }

    /** Markdown text outside code spans as it renders: without HTML tags and emphasis markers. */
    private static String renderedText(String markdown) {
        String text = HTML_TAG.matcher(markdown).replaceAll("");
        String before;
        do { // nested emphasis, one level a pass
            before = text;
            text = EMPHASIS.matcher(text).replaceAll("$2");
        } while (!text.equals(before));
        return text;
    }

    private static boolean isKept(int c) {
        return switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> c == '-' || Character.isAlphabetic(c);
        };
    }

    /** The slugs of headings the notes link to, and the cases where GitHub's rule differs from a naive one. */
    @Test
    void slugsFollowGitHub() {
        assertEquals("lists-of-entries-ratings-edges", slug("Lists of entries (ratings, edges)"));
        assertEquals("delimited-text-csv", slug("Delimited text (CSV)"));
        assertEquals("deep-homogeneous-networks-autobalance-network",
                slug("Deep homogeneous networks: `./autobalance network`"));
        assertEquals("a-new-users-pass-sixteenth-session-2-dec-2026",
                slug("A new user's pass, sixteenth session (2 Dec 2026)"));
        assertEquals("saddle-plateaus-converged-means-a-minimiser",
                slug("Saddle plateaus: `converged` means a minimiser"));
        // emphasis markers go, a code span's underscores and a snake_case word's stay
        assertEquals("stop_reason-is-not-a-plateau_check-result",
                slug("`stop_reason` is *not* a _plateau_check_ result"));
        // HTML tags go, their content stays (the subscript ₁ and the minus sign are not letters: dropped)
        assertEquals("σ-below-51026-in-float32", slug("σ₁ below 5·10<sup>−26</sup> in float32"));
        // a combining mark (ö written as o and U+0308) stays with its letter
        assertEquals("lo\u0308wdins-symmetric-orthogonalisation", slug("Lo\u0308wdin's symmetric orthogonalisation"));
        assertEquals(List.of("notes", "notes-1", "notes-2"),
                anchorsOf(List.of("# Notes", "## Notes", "```", "# Code", "```", "### Notes")));
        // a heading whose slug is an earlier repeat's anchor makes the next repeat take another number
        assertEquals(List.of("results", "results-1", "results-2", "results-1-1"),
                anchorsOf(List.of("## Results", "## Results 1", "## Results", "## Results 1")));
    }

    @Test
    void fencesAndHeadingsFollowCommonMark() {
        // a longer fence holds a shorter one's lines, which then are text; ~~~ fences; headings indented 1–3 spaces
        assertEquals(List.of("after-the-example", "indented-heading"), anchorsOf(List.of(
                "````markdown", "```sh", "# not a heading", "```", "````", "## After the example",
                "~~~", "# not a heading either", "~~~", "   ### Indented heading", "    # indented code")));
        // a ``` line does not close a ~~~ fence
        assertEquals(List.of("last"), anchorsOf(List.of("~~~", "```", "# in code", "~~~", "# Last")));
    }

    @Test
    void aLinkMustLeadToATrackedFile(@TempDir Path root) throws IOException {
        Path readme = Files.writeString(root.resolve("README.md"),
                "See [the notes](notes.md#the-iteration) and [the draft](draft.md).\n"
                        + "````md\n```\n[in code](missing.md)\n```\n````\n");
        Files.writeString(root.resolve("notes.md"), "# The notes\n\n## The iteration\n");
        Files.writeString(root.resolve("draft.md"), "# A draft not yet added to git\n");
        Set<Path> tracked = Set.of(root, readme, root.resolve("notes.md"));
        assertEquals(List.of("README.md:1: draft.md (not tracked by git)"),
                brokenLinks(root, readme, tracked, new HashMap<>()));
        assertEquals(List.of(), brokenLinks(root, readme, null, new HashMap<>()));
    }

    private static boolean isDocument(Path relative) {
        return String.valueOf(relative.getFileName()).endsWith(".md") && !Repository.isBuildOutput(relative);
    }
}
