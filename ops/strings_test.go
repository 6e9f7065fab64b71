package ops

import (
	"errors"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

func TestStrNormalizerInfer(t *testing.T) {
	stop := w2dAStrs("stopwords", "a")
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
		out, err := w2dInfer("", "StringNormalizer", 10, 1, []TypeShape{Ranked(tensor.String, w2dShape(c.in))}, c.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		w2dWant(t, c.in, out[0], Ranked(tensor.String, w2dShape(c.want)))
	}
	for _, c := range []struct {
		in    TypeShape
		attrs []*ir.Attribute
	}{
		{Ranked(tensor.String, w2dShape("2,3")), nil},
		{Ranked(tensor.String, w2dShape("1,1,3")), nil},
		{Ranked(tensor.String, w2dShape("")), nil},
		{Ranked(tensor.Int64, w2dShape("3")), nil},
		{Ranked(tensor.String, w2dShape("3")), []*ir.Attribute{w2dAStr("case_change_action", "lower")}},
		{Ranked(tensor.String, w2dShape("3")), []*ir.Attribute{w2dAInt("case_change_action", 1)}},
	} {
		if _, err := w2dInfer("", "StringNormalizer", 10, 1, []TypeShape{c.in}, c.attrs...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%v %v: err = %v, want ErrInvalidNode", c.in, c.attrs, err)
		}
	}
	if s := LookupSchema("", "StringNormalizer", 9); s != nil {
		t.Errorf("StringNormalizer exists at opset 9")
	}
}

func TestStrTfIdfInfer(t *testing.T) {
	attrs := func(pool *ir.Attribute, more ...*ir.Attribute) []*ir.Attribute {
		return append([]*ir.Attribute{w2dAInt("min_gram_length", 1), w2dAInt("max_gram_length", 2), w2dAInt("max_skip_count", 1),
			w2dAStr("mode", "TFIDF"), w2dAInts("ngram_counts", 0, 2), w2dAInts("ngram_indexes", 4, 0, 1), pool}, more...)
	}
	ints := w2dAInts("pool_int64s", 1, 2, 1, 2)
	strs := w2dAStrs("pool_strings", "a", "b", "a", "b")
	for _, c := range []struct {
		in   TypeShape
		pool *ir.Attribute
		want TypeShape
	}{
		{Ranked(tensor.Int64, w2dShape("7")), ints, Of(tensor.Float32, 5)},
		{Ranked(tensor.Int32, w2dShape("N,7")), ints, Ranked(tensor.Float32, w2dShape("N,5"))},
		{Ranked(tensor.Int32, w2dShape("?,?")), ints, Ranked(tensor.Float32, w2dShape("?,5"))},
		{Ranked(tensor.String, w2dShape("C")), strs, Of(tensor.Float32, 5)},
		{Unranked(tensor.String), strs, Unranked(tensor.Float32)},
	} {
		out, err := w2dInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{c.in}, attrs(c.pool)...)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		w2dWant(t, c.in.String(), out[0], c.want)
	}
	i1 := Ranked(tensor.Int64, w2dShape("3"))
	for _, c := range []struct {
		name  string
		in    TypeShape
		attrs []*ir.Attribute
	}{
		{"string input, int pool", Ranked(tensor.String, w2dShape("3")), attrs(ints)},
		{"int input, string pool", i1, attrs(strs)},
		{"float input", Ranked(tensor.Float32, w2dShape("3")), attrs(ints)},
		{"rank 3", Ranked(tensor.Int64, w2dShape("1,1,3")), attrs(ints)},
		{"scalar", Ranked(tensor.Int64, w2dShape("")), attrs(ints)},
		{"two pools", i1, attrs(ints, strs)},
		{"weights", i1, attrs(ints, &ir.Attribute{Name: "weights", Type: ir.AttrFloats, Floats: []float32{1, 2}})},
		{"mode", i1, attrs(ints, w2dAStr("mode", "BM25"))},
		{"level size", i1, attrs(w2dAInts("pool_int64s", 1, 2, 1))},
	} {
		// Later attributes of the same name are ignored by Attr, so put
		// the override first.
		a := c.attrs
		if len(a) > 7 {
			a = append([]*ir.Attribute{a[7]}, a[:7]...)
		}
		if _, err := w2dInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{c.in}, a...); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	// Required attributes.
	if _, err := w2dInfer("", "TfIdfVectorizer", 9, 1, []TypeShape{i1}, ints); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("missing attributes: err = %v", err)
	}
}

func TestStrTfIdfParams(t *testing.T) {
	n := &Node{Node: &ir.Node{OpType: "TfIdfVectorizer", Attrs: []*ir.Attribute{
		w2dAInt("min_gram_length", 2), w2dAInt("max_gram_length", 3), w2dAInt("max_skip_count", 0),
		w2dAStr("mode", "TF"), w2dAInts("ngram_counts", 0, 1, 3), w2dAInts("pool_int64s", 9, 1, 2, 3, 4, 5),
		w2dAInts("ngram_indexes", 3, 0, 7),
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
	out, err := w2dInfer("", "RegexFullMatch", 20, 1, []TypeShape{Ranked(tensor.String, w2dShape("N,2"))}, w2dAStr("pattern", `\d+`))
	if err != nil {
		t.Fatal(err)
	}
	w2dWant(t, "regex", out[0], Ranked(tensor.Bool, w2dShape("N,2")))
	if _, err := w2dInfer("", "RegexFullMatch", 20, 1, []TypeShape{Of(tensor.String, 2)}, w2dAStr("pattern", `(`)); !errors.Is(err, ErrInvalidNode) {
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
	out, err := w2dInfer("", "StringConcat", 20, 1, []TypeShape{Ranked(tensor.String, w2dShape("N,1")), Of(tensor.String, 3)})
	if err != nil {
		t.Fatal(err)
	}
	w2dWant(t, "concat", out[0], Ranked(tensor.String, w2dShape("N,3")))
	if _, err := w2dInfer("", "StringConcat", 20, 1, []TypeShape{Of(tensor.String, 2), Of(tensor.String, 3)}); !errors.Is(err, ErrShapeMismatch) {
		t.Errorf("concat mismatch: err = %v", err)
	}
	if _, err := w2dInfer("", "StringConcat", 20, 1, []TypeShape{Of(tensor.String, 2), Of(tensor.Int8, 2)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("concat int8: err = %v", err)
	}
	out, err = w2dInfer("", "StringSplit", 20, 2, []TypeShape{Ranked(tensor.String, w2dShape("N,2"))}, w2dAStr("delimiter", ","))
	if err != nil {
		t.Fatal(err)
	}
	w2dWant(t, "split 0", out[0], Ranked(tensor.String, w2dShape("N,2,?")))
	w2dWant(t, "split 1", out[1], Ranked(tensor.Int64, w2dShape("N,2")))
	out, err = w2dInfer("", "StringSplit", 20, 2, []TypeShape{Unranked(tensor.String)})
	if err != nil {
		t.Fatal(err)
	}
	w2dWant(t, "split unranked", out[0], Unranked(tensor.String))
	if _, err := w2dInfer("", "StringSplit", 20, 1, []TypeShape{Of(tensor.String, 2)}); !errors.Is(err, ErrInvalidNode) {
		t.Errorf("split with one output: err = %v", err)
	}
}
