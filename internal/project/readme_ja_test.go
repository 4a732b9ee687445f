package project

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// README.ja.md is the Japanese translation of README.md (issue 16). The prose is free;
// what a learner copies or relies on must be the same in both: the heading structure,
// every fenced code block, every image and every link to a file of the repository, the
// shape of every table, and every number stated in the prose. The two files are compared
// section by section (the n-th heading of one with the n-th of the other), so a change
// to one README names the section of the other that has to follow.

// mdSection is what the comparison keeps of one section (the text from one heading to
// the next; section 0 is the text before the first heading).
type mdSection struct {
	heading string   // the heading line as written
	level   int      // number of '#'
	code    []string // fenced code blocks, exactly, in order
	images  []string // image targets, in order
	links   []string // link targets to repository files (no URL, no #anchor), sorted
	anchors []string // #anchor link targets, to check that they resolve in their own file
	other   []string // links to README.md or README.ja.md
	tables  []string // shape of each table: the number of cells of each row
	numbers []string // numbers in the prose outside link targets and URLs, sorted
}

var (
	mdHeading = regexp.MustCompile(`^(#{1,6}) +(.*)$`)
	// A link or image: [text](target) or ![alt](target). Targets hold no spaces here.
	mdLink   = regexp.MustCompile(`(!?)\[[^\]]*\]\(([^)\s]+)\)`)
	mdURL    = regexp.MustCompile(`https?://[^\s)>` + "`" + `]+`)
	mdNumber = regexp.MustCompile(`\d+(?:\.\d+)?`)
	// "November 2026" is "2026 年 11 月" in Japanese: an English month name counts as its number.
	mdMonth = regexp.MustCompile(`\b(January|February|March|April|May|June|July|August|September|October|November|December)\b`)
	months  = map[string]string{"January": "1", "February": "2", "March": "3", "April": "4", "May": "5", "June": "6",
		"July": "7", "August": "8", "September": "9", "October": "10", "November": "11", "December": "12"}
)

func parseReadme(text string) []mdSection {
	secs := []mdSection{{}}
	cur := &secs[0]
	var fence []string
	inFence := false
	var table []string
	flushTable := func() {
		if len(table) > 0 {
			cur.tables = append(cur.tables, strings.Join(table, ","))
			table = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if inFence {
				cur.code = append(cur.code, strings.Join(fence, "\n"))
				fence = nil
			}
			inFence = !inFence
			if inFence {
				fence = []string{line}
			}
			continue
		}
		if inFence {
			fence = append(fence, line)
			continue
		}
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			flushTable()
			secs = append(secs, mdSection{heading: line, level: len(m[1])})
			cur = &secs[len(secs)-1]
		}
		if strings.HasPrefix(line, "|") {
			table = append(table, fmt.Sprint(strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")-1))
		} else {
			flushTable()
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[2]
			switch {
			case m[1] == "!":
				cur.images = append(cur.images, target)
			case strings.HasPrefix(target, "#"):
				cur.anchors = append(cur.anchors, target)
			case target == "README.md" || target == "README.ja.md":
				cur.other = append(cur.other, target) // the link between the two files
			case !strings.Contains(target, "://") && !strings.HasPrefix(target, "mailto:"):
				cur.links = append(cur.links, target)
			}
		}
		prose := mdLink.ReplaceAllString(line, "$1[]")
		prose = mdURL.ReplaceAllString(prose, "")
		// the link text was dropped with its target above; put it back
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			text := strings.TrimSuffix(strings.TrimPrefix(m[0], m[1]+"["), "]("+m[2]+")")
			prose += " " + mdURL.ReplaceAllString(text, "")
		}
		prose = mdMonth.ReplaceAllStringFunc(prose, func(m string) string { return months[m] })
		for _, n := range mdNumber.FindAllString(prose, -1) {
			if t := strings.TrimLeft(n, "0"); t != "" && t[0] != '.' {
				n = t
			}
			cur.numbers = append(cur.numbers, n)
		}
	}
	flushTable()
	for i := range secs {
		sort.Strings(secs[i].links)
		sort.Strings(secs[i].numbers)
	}
	return secs
}

// githubAnchor is the id GitHub gives a heading: lower case, letters, digits, marks,
// '-' and '_' kept, spaces turned into '-', everything else dropped.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func readReadme(t *testing.T, name string) []mdSection {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return parseReadme(string(raw))
}

func TestReadmeJaFollowsReadme(t *testing.T) {
	en := readReadme(t, "README.md")
	ja := readReadme(t, "README.ja.md")

	levels := func(secs []mdSection) (out []int) {
		for _, s := range secs[1:] {
			out = append(out, s.level)
		}
		return out
	}
	if !reflect.DeepEqual(levels(en), levels(ja)) {
		t.Fatalf("the heading structure differs (levels of the headings in order):\nREADME.md    %v\nREADME.ja.md %v", levels(en), levels(ja))
	}

	for i := range en {
		e, j := en[i], ja[i]
		where := fmt.Sprintf("section %d (%q / %q)", i, e.heading, j.heading)
		if !reflect.DeepEqual(e.code, j.code) {
			t.Errorf("%s: the fenced code blocks differ (they must be identical, in order):\nREADME.md:\n%s\nREADME.ja.md:\n%s",
				where, strings.Join(e.code, "\n"), strings.Join(j.code, "\n"))
		}
		if !reflect.DeepEqual(e.images, j.images) {
			t.Errorf("%s: images differ:\nREADME.md    %q\nREADME.ja.md %q", where, e.images, j.images)
		}
		if !reflect.DeepEqual(e.links, j.links) {
			t.Errorf("%s: links to repository files differ:\nREADME.md    %q\nREADME.ja.md %q", where, e.links, j.links)
		}
		if !reflect.DeepEqual(e.tables, j.tables) {
			t.Errorf("%s: table shapes differ (cells per row):\nREADME.md    %q\nREADME.ja.md %q", where, e.tables, j.tables)
		}
		if !reflect.DeepEqual(e.numbers, j.numbers) {
			t.Errorf("%s: the numbers in the prose differ:\nonly in README.md:    %v\nonly in README.ja.md: %v",
				where, missing(e.numbers, j.numbers), missing(j.numbers, e.numbers))
		}
	}

	// Each file's #anchors lead to one of its own headings; the link between the two
	// files is there both ways.
	for name, secs := range map[string][]mdSection{"README.md": en, "README.ja.md": ja} {
		ids := map[string]bool{}
		for _, s := range secs[1:] {
			ids["#"+githubAnchor(mdHeading.FindStringSubmatch(s.heading)[2])] = true
		}
		for _, s := range secs {
			for _, a := range s.anchors {
				if !ids[a] {
					t.Errorf("%s: link %s leads to no heading of the file", name, a)
				}
			}
		}
	}
	if !contains(en[1].other, "README.ja.md") {
		t.Error("README.md does not link to README.ja.md under its title")
	}
	if !contains(ja[1].other, "README.md") {
		t.Error("README.ja.md does not link to README.md under its title")
	}
}

// missing is what of a (a sorted multiset) b lacks.
func missing(a, b []string) []string {
	count := map[string]int{}
	for _, s := range b {
		count[s]++
	}
	var out []string
	for _, s := range a {
		if count[s] > 0 {
			count[s]--
		} else {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The parser itself: what it counts and what it leaves out.
func TestParseReadme(t *testing.T) {
	secs := parseReadme("intro [ja](README.ja.md)\n# T 1\ncosts $0.5 for 2 h from 07 May, see [x 3](https://e.com/4) and [y](#t-1)\n" +
		"```sh\nrun 9\n```\n![d](docs/a.svg)\n| a | b |\n|---|---|\n| `c` | 7 |\ntext\n")
	if len(secs) != 2 || secs[1].level != 1 {
		t.Fatalf("sections: %+v", secs)
	}
	s := secs[1]
	if want := []string{"0.5", "1", "2", "3", "5", "7", "7"}; !reflect.DeepEqual(s.numbers, want) {
		t.Errorf("numbers %v, want %v (heading and link text counted, leading zeros dropped, month names as numbers; URL and code not)", s.numbers, want)
	}
	if !reflect.DeepEqual(s.code, []string{"```sh\nrun 9"}) || !reflect.DeepEqual(s.images, []string{"docs/a.svg"}) ||
		!reflect.DeepEqual(s.tables, []string{"2,2,2"}) || !reflect.DeepEqual(s.anchors, []string{"#t-1"}) ||
		!reflect.DeepEqual(secs[0].other, []string{"README.ja.md"}) {
		t.Errorf("parsed %+v", s)
	}
	if got := githubAnchor("What will it cost? / 料金の目安"); got != "what-will-it-cost--料金の目安" {
		t.Errorf("anchor %q", got)
	}
	if got := githubAnchor("Hands-on #1: `MyFirstEc2`"); got != "hands-on-1-myfirstec2" {
		t.Errorf("anchor %q", got)
	}
}
