package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestStrNormalizerInfer(t *testing.T) {
	stop := attrStrs("stopwords", "a")
	for _, c := range []struct {
		in    string
		attrs []*ir.Attribute
		want  string
	}{
		{"5", nil, "5"},
		{"5", []*ir.Attribute{stop}, "?"},
		{"C", nil, "C"},
		{"1,5", []*ir.Attribute{stop}, "1,?"},
		{"1,5", nil, "1,5"},
		{"N,5", nil, "1,5"}, // N must be 1
		{"*", []*ir.Attribute{stop}, "*"},
	} {
		out, err := testInfer("", "StringNormalizer", 10, 1, []TypeShape{Ranked(tensor.String, testShape(c.in))}, c.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		testWant(t, c.in, out[0], Ranked(tensor.String, testShape(c.want)))
	}
	for _, c := range []struct {
		in    TypeShape
		attrs []*ir.Attribute
	}{
		{Ranked(tensor.String, testShape("2,3")), nil},
		{Ranked(tensor.String, testShape("1,1,3")), nil},
		{Ranked(tensor.String, testShape("")), nil},
		{Ranked(tensor.Int64, testShape("3")), nil},
		{Ranked(tensor.String, testShape("3")), []*ir.Attribute{attrStr("case_change_action", "lower")}},
		{Ranked(tensor.String, testShape("3")), []*ir.Attribute{attrInt("case_change_action", 1)}},
	} {
		if _, err := testInfer("", "StringNormalizer", 10, 1, []TypeShape{c.in}, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%v %v: err = %v, want ErrInvalidNode", c.in, c.attrs, err)
		}
	}
	if s := LookupSchema("", "StringNormalizer", 9); s != nil {
		t.Errorf("StringNormalizer exists at opset 9")
	}
}

func TestStrTfIdfInfer(t *testing.T) {
	attrs := func(pool *ir.Attribute, more ...*ir.Attribute) []*ir.Attribute {
		return append([]*ir.Attribute{attrInt("min_gram_length", 1), attrInt("max_gram_length", 2), attrInt("max_skip_count", 1),
			attrStr("mode", "TFIDF"), attrInts("ngram_counts", 0, 2), attrInts("ngram_indexes", 4, 0, 1), pool}, more...)
	}
	ints := attrInts("pool_int64s", 1, 2, 1, 2)
	strs := attrStrs("pool_strings", "a", "b", "a", "b")
	for _, c := range []struct {
		in   TypeShape
		pool *ir.Attribute
		want TypeShape
	}{
		{Ranked(tensor.Int64, testShape("7")), ints, Of(tensor.Float32, 5)},
		{Ranked(tensor.Int32, testShape("N,7")), ints, Ranked(tensor.Float32, testShape("N,5"))},
		{Ranked(tensor.Int32, testShape("?,?")), ints, Ranked(tensor.Float32, testShape("?,5"))},
		{Ranked(tensor.String, testShape("C")), strs, Of(tensor.Float32, 5)},
		{Unranked(tensor.String), strs, Unranked(tensor.Float32)},
	} {
		out, err := testInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{c.in}, attrs(c.pool)...)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		testWant(t, c.in.String(), out[0], c.want)
	}
	i1 := Ranked(tensor.Int64, testShape("3"))
	for _, c := range []struct {
		name  string
		in    TypeShape
		attrs []*ir.Attribute
	}{
		{"string input, int pool", Ranked(tensor.String, testShape("3")), attrs(ints)},
		{"int input, string pool", i1, attrs(strs)},
		{"float input", Ranked(tensor.Float32, testShape("3")), attrs(ints)},
		{"rank 3", Ranked(tensor.Int64, testShape("1,1,3")), attrs(ints)},
		{"scalar", Ranked(tensor.Int64, testShape("")), attrs(ints)},
		{"two pools", i1, attrs(ints, strs)},
		{"weights", i1, attrs(ints, &ir.Attribute{Name: "weights", Type: ir.AttrFloats, Floats: []float32{1, 2}})},
		{"mode", i1, attrs(ints, attrStr("mode", "BM25"))},
		{"level size", i1, attrs(attrInts("pool_int64s", 1, 2, 1))},
	} {
		// Later attributes of the same name are ignored by Attr, so put
		// the override first.
		a := c.attrs
		if len(a) > 7 {
			a = append([]*ir.Attribute{a[7]}, a[:7]...)
		}
		if _, err := testInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{c.in}, a...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	// Required attributes.
	if _, err := testInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{i1}, ints); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("missing attributes: err = %v", err)
	}
}

func TestStrTfIdfParams(t *testing.T) {
	n := &Node{Node: &ir.Node{OpType: "TfIdfVectorizer", Attrs: []*ir.Attribute{
		attrInt("min_gram_length", 2), attrInt("max_gram_length", 3), attrInt("max_skip_count", 0),
		attrStr("mode", "TF"), attrInts("ngram_counts", 0, 1, 3), attrInts("pool_int64s", 9, 1, 2, 3, 4, 5),
		attrInts("ngram_indexes", 3, 0, 7),
	}}}
	p, err := TfIdfParamsOf(n)
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != 8 || len(p.Levels) != 3 || p.Levels[0] != [2]int{0, 1} || p.Levels[1] != [2]int{1, 3} || p.Levels[2] != [2]int{3, 6} ||
		p.MinN != 2 || p.MaxN != 3 || p.Strs {
		t.Errorf("params %+v", p)
	}
}

func TestStrRegexInfer(t *testing.T) {
	out, err := testInfer("", "RegexFullMatch", 20, 1, []TypeShape{Ranked(tensor.String, testShape("N,2"))}, attrStr("pattern", `\d+`))
	if err != nil {
		t.Fatal(err)
	}
	testWant(t, "regex", out[0], Ranked(tensor.Bool, testShape("N,2")))
	if _, err := testInfer("", "RegexFullMatch", 20, 1, []TypeShape{Of(tensor.String, 2)}, attrStr("pattern", `(`)); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("bad pattern: err = %v", err)
	}
	if LookupSchema("", "RegexFullMatch", 19) != nil || LookupSchema("", "StringConcat", 19) != nil || LookupSchema("", "StringSplit", 19) != nil {
		t.Errorf("opset 20 ops exist at 19")
	}
	re, err := FullMatchRegexp("a|b")
	if err != nil || !re.MatchString("b") || re.MatchString("ab") {
		t.Errorf("FullMatchRegexp(a|b) does not match fully: %v", err)
	}
}

func TestStrConcatSplitInfer(t *testing.T) {
	out, err := testInfer("", "StringConcat", 20, 1, []TypeShape{Ranked(tensor.String, testShape("N,1")), Of(tensor.String, 3)})
	if err != nil {
		t.Fatal(err)
	}
	testWant(t, "concat", out[0], Ranked(tensor.String, testShape("N,3")))
	if _, err := testInfer("", "StringConcat", 20, 1, []TypeShape{Of(tensor.String, 2), Of(tensor.String, 3)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("concat mismatch: err = %v", err)
	}
	if _, err := testInfer("", "StringConcat", 20, 1, []TypeShape{Of(tensor.String, 2), Of(tensor.Int8, 2)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("concat int8: err = %v", err)
	}
	out, err = testInfer("", "StringSplit", 20, 2, []TypeShape{Ranked(tensor.String, testShape("N,2"))}, attrStr("delimiter", ","))
	if err != nil {
		t.Fatal(err)
	}
	testWant(t, "split 0", out[0], Ranked(tensor.String, testShape("N,2,?")))
	testWant(t, "split 1", out[1], Ranked(tensor.Int64, testShape("N,2")))
	out, err = testInfer("", "StringSplit", 20, 2, []TypeShape{Unranked(tensor.String)})
	if err != nil {
		t.Fatal(err)
	}
	testWant(t, "split unranked", out[0], Unranked(tensor.String))
	if _, err := testInfer("", "StringSplit", 20, 1, []TypeShape{Of(tensor.String, 2)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("split with one output: err = %v", err)
	}
}
