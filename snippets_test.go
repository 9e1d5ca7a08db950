package ccfs_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocSnippetsAreExamples holds every Go snippet of the docs to code
// that compiles and runs: each ```go block in docs/*.md and README.md
// follows a marker naming where it comes from,
//
//	<!-- example: DIR NAME... -->
//
// DIR the package's directory in the repository ("." for the root),
// each NAME a declaration there — an Example or a test, or a type,
// function or Type.Method the block shows — and the block's lines,
// whitespace aside, appear in those declarations in the same order. A
// block without a marker, or that has drifted from its code, fails.
func TestDocSnippetsAreExamples(t *testing.T) {
	docs, _ := filepath.Glob("docs/*.md")
	docs = append(docs, "README.md")
	blocks := 0
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range goBlocks(string(raw)) {
			blocks++
			where := fmt.Sprintf("%s:%d", doc, b.line)
			if b.marker == "" {
				t.Errorf("%s: a ```go block without <!-- example: DIR NAME --> before it", where)
				continue
			}
			fields := strings.Fields(b.marker)
			if len(fields) < 2 {
				t.Errorf("%s: the marker %q names no declaration", where, b.marker)
				continue
			}
			var code []string
			for _, name := range fields[1:] {
				text, err := declaration(fields[0], name)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				code = append(code, normalLines(text)...)
			}
			if missing := notInOrder(normalLines(b.code), code); missing != "" {
				t.Errorf("%s: the line %q is not in %s (in order)", where, missing, b.marker)
			}
		}
	}
	if blocks == 0 {
		t.Fatal("no ```go block found: is the test reading the docs?")
	}
}

type goBlock struct {
	line   int    // of the opening fence
	marker string // what <!-- example: … --> says, "" if none
	code   string
}

var markerRe = regexp.MustCompile(`^<!--\s*example:\s*(.*?)\s*-->$`)

// goBlocks returns the ```go blocks of a Markdown text, indented or not,
// each with the marker on the last non-blank line before it.
func goBlocks(md string) []goBlock {
	var (
		out  []goBlock
		prev string // the last non-blank line
		cur  *goBlock
	)
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &goBlock{line: i + 1}
			if m := markerRe.FindStringSubmatch(prev); m != nil {
				cur.marker = m[1]
			}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	return out
}

// declaration returns the source of the declaration name (Func, Type or
// Type.Method), doc comment included, in the package in dir.
func declaration(dir, name string) (string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
		if err != nil {
			return "", err
		}
		text := func(doc *ast.CommentGroup, from, to token.Pos) string {
			if doc != nil {
				from = doc.Pos()
			}
			return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				full := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					typ := d.Recv.List[0].Type
					if star, ok := typ.(*ast.StarExpr); ok {
						typ = star.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						full = id.Name + "." + full
					}
				}
				if full == name {
					return text(d.Doc, d.Pos(), d.End()), nil
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name {
						if len(d.Specs) == 1 {
							return text(d.Doc, d.Pos(), d.End()), nil
						}
						return text(ts.Doc, ts.Pos(), ts.End()), nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("no declaration %s in the package in %s", name, dir)
}

// normalLines returns the non-blank lines of text, each trimmed and with
// its runs of spaces and tabs made one space.
func normalLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}

// notInOrder returns the first of want's lines that does not follow the
// one before it in have, or "".
func notInOrder(want, have []string) string {
	i := 0
	for _, w := range want {
		for i < len(have) && have[i] != w {
			i++
		}
		if i == len(have) {
			return w
		}
		i++
	}
	return ""
}

// TestDocSnippetCheckFails: the checks of TestDocSnippetsAreExamples
// catch what they are for: a block without a marker, lines out of order,
// a declaration that does not exist.
func TestDocSnippetCheckFails(t *testing.T) {
	md := "text\n\n```go\nx := 1\n```\n<!-- example: . ExampleNewHandler -->\n\n```go\nfiles, err := store.NewDir(dir) // or any store.Store of your own\n```\n"
	blocks := goBlocks(md)
	if len(blocks) != 2 || blocks[0].marker != "" || blocks[1].marker != ". ExampleNewHandler" {
		t.Fatalf("%+v", blocks)
	}
	text, err := declaration(".", "ExampleNewHandler")
	if err != nil {
		t.Fatal(err)
	}
	if m := notInOrder(normalLines(blocks[1].code), normalLines(text)); m != "" {
		t.Fatalf("a line of ExampleNewHandler not found: %q", m)
	}
	if m := notInOrder([]string{"mux := http.NewServeMux()", "files, err := store.NewDir(dir) // or any store.Store of your own"}, normalLines(text)); m == "" {
		t.Fatal("lines out of order were accepted")
	}
	if _, err := declaration(".", "ExampleNoSuchThing"); err == nil {
		t.Fatal("a missing declaration was found")
	}
	if text, err := declaration(".", "statusRecorder.Unwrap"); err != nil || !bytes.Contains([]byte(text), []byte("return w.ResponseWriter")) {
		t.Fatalf("a method: %q %v", text, err)
	}
}
