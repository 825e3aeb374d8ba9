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
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;

/**
 * Every relative link of the project's Markdown (the README, native-notes/ and the other notes of the checkout) leads
 * to a file or folder that exists, and a {@code #anchor} into a Markdown file to one of its headings, by GitHub's
 * rule for heading anchors. Notes are moved and renamed between sessions; a link the move broke is found here rather
 * than by a reader.
 */
class DocumentLinksTest {
    /** An inline link or image, {@code [text](target)} or {@code [text](target "title")}. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = Repository.root();
        List<Path> documents;
        try (Stream<Path> walk = Files.walk(root)) {
            documents = walk.filter(p -> isDocument(root.relativize(p)) && Files.isRegularFile(p)).sorted()
                    .toList();
        }
        assertTrue(documents.contains(root.resolve("README.md")), "README.md not found under " + root);
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (Path document : documents) {
            broken.addAll(brokenLinks(root, document, anchors));
        }
        assertTrue(broken.isEmpty(), broken.size() + " broken links:\n" + String.join("\n", broken));
    }

    /** The links of {@code document} that lead nowhere, as {@code file:line: target (why)}. */
    static List<String> brokenLinks(Path root, Path document, Map<Path, Set<String>> anchors) throws IOException {
        List<String> broken = new ArrayList<>();
        List<String> lines = Files.readAllLines(document, StandardCharsets.UTF_8);
        boolean fenced = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher link = LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: — not a file of the checkout
                }
                String why = whyBroken(document, target, anchors);
                if (why != null) {
                    broken.add(root.relativize(document) + ":" + (i + 1) + ": " + target + " (" + why + ")");
                }
            }
        }
        return broken;
    }

    private static String whyBroken(Path document, String target, Map<Path, Set<String>> anchors) throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? document : document.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (hash < 0 || !resolved.toString().endsWith(".md")) {
            return null;
        }
        String anchor = target.substring(hash + 1);
        Set<String> known = anchors.get(resolved);
        if (known == null) {
            known = anchorsOf(Files.readAllLines(resolved, StandardCharsets.UTF_8));
            anchors.put(resolved, known);
        }
        return known.contains(anchor) ? null : "no heading with that anchor";
    }

    /** The anchors GitHub gives the headings of a Markdown file (those in fenced code are not headings). */
    static Set<String> anchorsOf(List<String> lines) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : lines) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            Matcher heading = HEADING.matcher(line);
            if (fenced || !heading.matches()) {
                continue;
            }
            String slug = slug(heading.group(1));
            int n = seen.merge(slug, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? slug : slug + "-" + n);
        }
        return anchors;
    }

    /**
     * GitHub's anchor of a heading: its text (code spans as their content, links as their text) in lower case, every
     * character but letters, digits, spaces, hyphens and underscores dropped, and each space made a hyphen.
     */
    static String slug(String heading) {
        String text = CODE_SPAN.matcher(heading).replaceAll("$2").replaceAll("\\[([^]]*)]\\([^)]*\\)", "$1");
        StringBuilder slug = new StringBuilder();
        text.toLowerCase(java.util.Locale.ROOT).codePoints().forEach(c -> {
            if (c == ' ') {
                slug.append('-');
            } else if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                slug.appendCodePoint(c);
            }
        });
        return slug.toString();
    }

    /** The slugs of headings this project's notes link to, as GitHub renders them. */
    @Test
    void slugsFollowGitHub() {
        assertEquals("lists-of-entries-ratings-edges", slug("Lists of entries (ratings, edges)"));
        assertEquals("delimited-text-csv", slug("Delimited text (CSV)"));
        assertEquals("deep-homogeneous-networks-autobalance-network",
                slug("Deep homogeneous networks: `./autobalance network`"));
        assertEquals("a-new-users-pass-sixteenth-session-2-dec-2026",
                slug("A new user's pass (sixteenth session, 2 Dec 2026)"));
        assertEquals("saddle-plateaus-converged-means-a-minimiser",
                slug("Saddle plateaus: `converged` means a minimiser"));
        assertEquals(Set.of("notes", "notes-1", "notes-2"),
                anchorsOf(List.of("# Notes", "## Notes", "```", "# Code", "```", "### Notes")));
    }

    private static boolean isDocument(Path relative) {
        return String.valueOf(relative.getFileName()).endsWith(".md") && !Repository.isBuildOutput(relative);
    }
}
