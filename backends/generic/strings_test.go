package generic

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func TestStrNormalizer(t *testing.T) {
	days := []string{"monday", "tuesday", "wednesday", "thursday"}
	for _, c := range []struct {
		name  string
		in    *tensor.Tensor
		attrs []*ir.Attribute
		want  []string
		shape []int
	}{
		{"lower", w2dT(days), []*ir.Attribute{attrStr("case_change_action", "LOWER"), attrInt("is_case_sensitive", 1), attrStrs("stopwords", "monday")},
			[]string{"tuesday", "wednesday", "thursday"}, []int{3}},
		{"upper", w2dT(days), []*ir.Attribute{attrStr("case_change_action", "UPPER"), attrStrs("stopwords", "monday")},
			[]string{"TUESDAY", "WEDNESDAY", "THURSDAY"}, []int{3}},
		{"none", w2dT(days), nil, days, []int{4}},
		{"all dropped", w2dT([]string{"monday", "Monday"}), []*ir.Attribute{attrStrs("stopwords", "MONDAY")}, []string{""}, []int{1}},
		{"all dropped 2-D", w2dT([]string{"monday"}, 1, 1), []*ir.Attribute{attrStrs("stopwords", "monday")}, []string{""}, []int{1, 1}},
		{"case sensitive keeps", w2dT([]string{"Monday", "monday"}), []*ir.Attribute{attrInt("is_case_sensitive", 1), attrStrs("stopwords", "monday")},
			[]string{"Monday"}, []int{1}},
		{"insensitive 2-D", w2dT([]string{"Monday", "tuesday", "MONDAY", "x"}, 1, 4), []*ir.Attribute{attrStr("case_change_action", "UPPER"), attrStrs("stopwords", "monday", "x")},
			[]string{"TUESDAY"}, []int{1, 1}},
		{"unicode", w2dT([]string{"Été", "ÉTÉ", "straße", "Ωmega"}), []*ir.Attribute{attrStr("case_change_action", "LOWER"), attrStrs("stopwords", "été")},
			[]string{"straße", "ωmega"}, []int{2}},
		{"empty input", w2dT([]string{}), []*ir.Attribute{attrStrs("stopwords", "a")}, []string{}, []int{0}},
		{"empty input 2-D", w2dT([]string{}, 1, 0), nil, []string{}, []int{1, 0}},
	} {
		out, err := evalNode("", "StringNormalizer", 10, 1, []*tensor.Tensor{c.in}, c.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		w2dCheck(t, c.name, out[0], c.want, c.shape...)
	}
}

func TestStrNormalizerErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    *tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"2 rows", w2dT([]string{"a", "b"}, 2, 1), nil},
		{"rank 3", w2dT([]string{"a"}, 1, 1, 1), nil},
		{"scalar", tensor.Scalar("a"), nil},
		{"ints", w2dT([]int64{1}), nil},
		{"bad action", w2dT([]string{"a"}), []*ir.Attribute{attrStr("case_change_action", "TITLE")}},
		{"stopwords type", w2dT([]string{"a"}), []*ir.Attribute{attrStr("stopwords", "a")}},
	} {
		if _, err := evalNode("", "StringNormalizer", 10, 1, []*tensor.Tensor{c.in}, c.attrs...); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
}

// strNaiveTfIdf computes TfIdfVectorizer by the definition: for every
// pool n-gram g (in order, with its output coordinate idx[i]) and every
// row, count the positions start and skips s (only s = 0 for unigrams)
// where row[start + m*(s+1)] == g[m] for all m, then weight the count.
func strNaiveTfIdf(rows [][]int64, grams [][]int64, idx []int, weights []float32, mode string, minN, maxN, maxSkip, size int) [][]float32 {
	out := make([][]float32, len(rows))
	for r, row := range rows {
		out[r] = make([]float32, size)
		for i, g := range grams {
			n := len(g)
			if n < minN || n > maxN {
				continue
			}
			count := 0
			for s := 0; s <= maxSkip; s++ {
				if n == 1 && s > 0 {
					break
				}
				for start := range row {
					match := true
					for m := range n {
						j := start + m*(s+1)
						if j >= len(row) || row[j] != g[m] {
							match = false
							break
						}
					}
					if match {
						count++
					}
				}
			}
			if count == 0 {
				continue
			}
			w := float32(1)
			if weights != nil {
				w = weights[i]
			}
			switch mode {
			case "TF":
				out[r][idx[i]] += float32(count)
			case "IDF":
				out[r][idx[i]] += w
			case "TFIDF":
				out[r][idx[i]] += float32(count) * w
			}
		}
	}
	return out
}

func TestStrTfIdfAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	word := func(v int64) string { return fmt.Sprintf("w%d", v) }
	for iter := range 400 {
		// A pool of up to 3 levels of n-grams over a 4-symbol alphabet
		// (duplicates allowed).
		levels := 1 + r.Intn(3)
		var grams [][]int64
		var flat []int64
		var counts []int64
		for lv := range levels {
			counts = append(counts, int64(len(flat)))
			for range r.Intn(4) {
				g := make([]int64, lv+1)
				for m := range g {
					g[m] = int64(r.Intn(4))
				}
				grams = append(grams, g)
				flat = append(flat, g...)
			}
		}
		idx := make([]int, len(grams))
		idx64 := make([]int64, len(grams))
		size := 0
		for i := range idx {
			idx[i] = r.Intn(len(grams) + 2)
			idx64[i] = int64(idx[i])
			size = max(size, idx[i]+1)
		}
		var weights []float32
		attrs := []*ir.Attribute{}
		if r.Intn(2) == 0 {
			weights = make([]float32, len(grams))
			for i := range weights {
				weights[i] = float32(r.Intn(8)) / 4
			}
			attrs = append(attrs, attrFloats("weights", weights...))
		}
		mode := []string{"TF", "IDF", "TFIDF"}[r.Intn(3)]
		minN := 1 + r.Intn(levels)
		maxN := minN + r.Intn(levels+1)
		skip := r.Intn(4)
		nrows, c := 1+r.Intn(3), r.Intn(9)
		rows := make([][]int64, nrows)
		var data []int64
		for i := range rows {
			rows[i] = make([]int64, c)
			for j := range rows[i] {
				rows[i][j] = int64(r.Intn(5))
			}
			data = append(data, rows[i]...)
		}
		attrs = append(attrs, attrStr("mode", mode), attrInt("min_gram_length", int64(minN)), attrInt("max_gram_length", int64(maxN)),
			attrInt("max_skip_count", int64(skip)), attrInts("ngram_counts", counts...), attrInts("ngram_indexes", idx64...))
		want := strNaiveTfIdf(rows, grams, idx, weights, mode, minN, maxN, skip, size)
		shape := []int{nrows, c}
		wshape := []int{nrows, size}
		if nrows == 1 && r.Intn(2) == 0 {
			shape, wshape = []int{c}, []int{size}
		}
		var wantFlat []float32
		for _, w := range want {
			wantFlat = append(wantFlat, w...)
		}
		desc := fmt.Sprintf("iter %d: rows %v pool %v counts %v idx %v mode %s n %d..%d skip %d", iter, rows, flat, counts, idx, mode, minN, maxN, skip)

		// Integer pool, int64 and int32 input.
		ia := append(attrs, attrInts("pool_int64s", flat...))
		out, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{w2dT(data, shape...)}, ia...)
		if err != nil {
			t.Fatalf("%s: %v", desc, err)
		}
		w2dCheck(t, desc, out[0], wantFlat, wshape...)
		d32 := make([]int32, len(data))
		for i, v := range data {
			d32[i] = int32(v)
		}
		out, err = evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{w2dT(d32, shape...)}, ia...)
		if err != nil {
			t.Fatalf("%s (int32): %v", desc, err)
		}
		w2dCheck(t, desc+" (int32)", out[0], wantFlat, wshape...)

		// The same with strings.
		ds := make([]string, len(data))
		for i, v := range data {
			ds[i] = word(v)
		}
		ps := make([]string, len(flat))
		for i, v := range flat {
			ps[i] = word(v)
		}
		sa := append(attrs[:len(attrs):len(attrs)], attrStrs("pool_strings", ps...))
		out, err = evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{w2dT(ds, shape...)}, sa...)
		if err != nil {
			t.Fatalf("%s (strings): %v", desc, err)
		}
		w2dCheck(t, desc+" (strings)", out[0], wantFlat, wshape...)
	}
}

func TestStrTfIdfHand(t *testing.T) {
	// The spec's example: [94, 17, 36, 12, 28] with skip 2 has the 2-grams
	// [94, 12] and [17, 28]; with skips up to 2 also every 2-gram with
	// skips 0 and 1.
	x := w2dT([]int64{94, 17, 36, 12, 28})
	base := []*ir.Attribute{attrInt("min_gram_length", 2), attrInt("max_gram_length", 2), attrInt("max_skip_count", 2),
		attrInts("ngram_counts", 0, 0), attrInts("pool_int64s", 94, 12, 17, 28, 94, 17, 36, 17), attrInts("ngram_indexes", 0, 1, 2, 3)}
	out, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{x}, append(base, attrStr("mode", "TF"))...)
	if err != nil {
		t.Fatal(err)
	}
	w2dCheck(t, "TF", out[0], []float32{1, 1, 1, 0}, 4)
	// IDF: counts > 0 become the weight; TFIDF: count times weight. A
	// repeated token gives a unigram count of 2.
	x = w2dT([]string{"a", "b", "a"})
	strAttrs := []*ir.Attribute{attrInt("min_gram_length", 1), attrInt("max_gram_length", 2), attrInt("max_skip_count", 0),
		attrInts("ngram_counts", 0, 2), attrStrs("pool_strings", "a", "c", "b", "a"), attrInts("ngram_indexes", 2, 0, 1),
		attrFloats("weights", 0.5, 3, 0.25)}
	for _, c := range []struct {
		mode string
		want []float32
	}{{"TF", []float32{0, 1, 2}}, {"IDF", []float32{0, 0.25, 0.5}}, {"TFIDF", []float32{0, 0.25, 1}}} {
		out, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{x}, append(strAttrs, attrStr("mode", c.mode))...)
		if err != nil {
			t.Fatal(err)
		}
		w2dCheck(t, c.mode, out[0], c.want, 3)
	}
}

func TestStrTfIdfErrors(t *testing.T) {
	x := w2dT([]int64{1, 2, 3})
	good := func() []*ir.Attribute {
		return []*ir.Attribute{attrInt("min_gram_length", 1), attrInt("max_gram_length", 2), attrInt("max_skip_count", 0),
			attrStr("mode", "TF"), attrInts("ngram_counts", 0, 2), attrInts("pool_int64s", 1, 2, 1, 2), attrInts("ngram_indexes", 0, 1, 2)}
	}
	// with returns the good attributes with a replaced (or added).
	with := func(a *ir.Attribute) []*ir.Attribute {
		l := good()
		for i := range l {
			if l[i].Name == a.Name {
				l[i] = a
				return l
			}
		}
		return append(l, a)
	}
	if _, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{x}, good()...); err != nil {
		t.Fatalf("good node: %v", err)
	}
	for _, c := range []struct {
		name  string
		x     *tensor.Tensor
		attrs []*ir.Attribute
	}{
		{"mode", x, with(attrStr("mode", "tf"))},
		{"min 0", x, with(attrInt("min_gram_length", 0))},
		{"max < min", x, with(attrInt("max_gram_length", 0))},
		{"skip < 0", x, with(attrInt("max_skip_count", -1))},
		{"both pools", x, with(attrStrs("pool_strings", "a"))},
		{"indexes count", x, with(attrInts("ngram_indexes", 0, 1))},
		{"negative index", x, with(attrInts("ngram_indexes", 0, -1, 2))},
		{"counts not a multiple", x, with(attrInts("ngram_counts", 0, 1))},
		{"counts decreasing", x, with(attrInts("ngram_counts", 0, 3, 2))},
		{"counts past pool", x, with(attrInts("ngram_counts", 0, 6))},
		{"counts not from 0", x, with(attrInts("ngram_counts", 1, 2))},
		{"weights count", x, with(attrFloats("weights", 1))},
		{"string input", w2dT([]string{"a"}), good()},
		{"float input", w2dT([]float32{1}), good()},
		{"rank 3", w2dT([]int64{1}, 1, 1, 1), good()},
		{"scalar", tensor.Scalar(int64(1)), good()},
	} {
		if _, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{c.x}, c.attrs...); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("%s: err = %v, want ErrInvalidNode", c.name, err)
		}
	}
	var noPool []*ir.Attribute
	for _, a := range good() {
		if a.Name != "pool_int64s" {
			noPool = append(noPool, a)
		}
	}
	if _, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{x}, noPool...); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("no pool: err = %v", err)
	}
}

func TestStrTfIdfLargeAttributes(t *testing.T) {
	// Huge n-gram lengths and skips must not overflow or loop for long.
	x := w2dT([]int64{1, 2, 1, 2})
	out, err := evalNode("", "TfIdfVectorizer", 9, 1, []*tensor.Tensor{x}, attrInt("min_gram_length", 1), attrInt("max_gram_length", 1<<40),
		attrInt("max_skip_count", 1<<40), attrStr("mode", "TF"), attrInts("ngram_counts", 0, 1), attrInts("pool_int64s", 2, 1, 2),
		attrInts("ngram_indexes", 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	// 2 occurs twice; (1, 2) at skips 0 (twice) and 2 (once).
	w2dCheck(t, "large", out[0], []float32{2, 3}, 2)
}

func TestStrRegexFullMatch(t *testing.T) {
	for _, c := range []struct {
		pattern string
		in      []string
		want    []bool
	}{
		{`www\.[\w.-]+\.\bcom\b`, []string{"www.google.com", "www.facebook.com", "www.bbc.co.uk"}, []bool{true, true, false}},
		{`(\W|^)[\w.\-]{0,25}@(yahoo|gmail)\.com(\W|$)`, []string{"account@gmail.com", "account@hotmail.com", "not email", "account2@yahoo.com"},
			[]bool{true, false, false, true}},
		{"a", []string{"a", "ba", "ab", ""}, []bool{true, false, false, false}},
		{"a|b", []string{"a", "b", "ab"}, []bool{true, true, false}},
		{"", []string{"", "x"}, []bool{true, false}},
		{"(?i)straße", []string{"STRASSE", "Straße"}, []bool{false, true}},
	} {
		x := w2dT(c.in)
		if len(c.in)%2 == 0 {
			x = w2dT(c.in, 2, len(c.in)/2)
		}
		out, err := evalNode("", "RegexFullMatch", 20, 1, []*tensor.Tensor{x}, attrStr("pattern", c.pattern))
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		w2dCheck(t, c.pattern, out[0], c.want, x.Shape()...)
	}
	for _, p := range []string{"(", "a**", `\8`, "(?<name"} {
		if _, err := evalNode("", "RegexFullMatch", 20, 1, []*tensor.Tensor{w2dT([]string{"a"})}, attrStr("pattern", p)); !errors.Is(err, ops.ErrInvalidNode) {
			t.Errorf("pattern %q: err = %v, want ErrInvalidNode", p, err)
		}
	}
	if _, err := evalNode("", "RegexFullMatch", 20, 1, []*tensor.Tensor{w2dT([]int32{1})}, attrStr("pattern", "1")); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("int input: err = %v", err)
	}
}

func TestStrConcat(t *testing.T) {
	for _, c := range []struct {
		x, y  *tensor.Tensor
		want  []string
		shape []int
	}{
		{w2dT([]string{"abc", "def"}), w2dT([]string{".com", ".net"}), []string{"abc.com", "def.net"}, []int{2}},
		{w2dT([]string{"cat", "dog", "snake"}), tensor.Scalar("s"), []string{"cats", "dogs", "snakes"}, []int{3}},
		{tensor.Scalar("o"), w2dT([]string{"n", "nnx"}), []string{"on", "onnx"}, []int{2}},
		{w2dT([]string{"a", "b"}, 2, 1), w2dT([]string{"1", "2", "3"}), []string{"a1", "a2", "a3", "b1", "b2", "b3"}, []int{2, 3}},
		{w2dT([]string{"", "é"}), w2dT([]string{"ü", ""}), []string{"ü", "é"}, []int{2}},
		{w2dT([]string{}, 0, 2), w2dT([]string{"x", "y"}), []string{}, []int{0, 2}},
	} {
		out, err := evalNode("", "StringConcat", 20, 1, []*tensor.Tensor{c.x, c.y})
		if err != nil {
			t.Fatal(err)
		}
		w2dCheck(t, fmt.Sprint(c.want), out[0], c.want, c.shape...)
	}
	if _, err := evalNode("", "StringConcat", 20, 1, []*tensor.Tensor{w2dT([]string{"a", "b"}), w2dT([]string{"a", "b", "c"})}); !errors.Is(err, ops.ErrShapeMismatch) {
		t.Errorf("mismatched shapes: err = %v", err)
	}
	if _, err := evalNode("", "StringConcat", 20, 1, []*tensor.Tensor{w2dT([]string{"a"}), w2dT([]int64{1})}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("int input: err = %v", err)
	}
}

func TestStrSplit(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     *tensor.Tensor
		attrs  []*ir.Attribute
		want   []string
		shape  []int
		counts []int64
	}{
		{"basic", w2dT([]string{"abc.com", "def.net"}), []*ir.Attribute{attrStr("delimiter", ".")},
			[]string{"abc", "com", "def", "net"}, []int{2, 2}, []int64{2, 2}},
		{"consecutive", w2dT([]string{"o-n-n--x-", "o-n----nx"}), []*ir.Attribute{attrStr("delimiter", "-")},
			[]string{"o", "n", "n", "", "x", "", "o", "n", "", "", "", "nx"}, []int{2, 6}, []int64{6, 6}},
		{"empty delimiter", w2dT([]string{"hello world !", "  hello   world !", " hello world   ! "}), []*ir.Attribute{attrStr("delimiter", "")},
			[]string{"hello", "world", "!", "hello", "world", "!", "hello", "world", "!"}, []int{3, 3}, []int64{3, 3, 3}},
		{"no delimiter", w2dT([]string{"hello world !", "  hello   world !", " hello world   ! "}), nil,
			[]string{"hello", "world", "!", "hello", "world", "!", "hello", "world", "!"}, []int{3, 3}, []int64{3, 3, 3}},
		{"empty tensor", w2dT([]string{}), nil, []string{}, []int{0, 0}, []int64{}},
		{"maxsplit", w2dT([]string{"hello world", "def.net", "o n n x", "the quick brown fox"}, 2, 2), []*ir.Attribute{attrInt("maxsplit", 2)},
			[]string{"hello", "world", "", "def.net", "", "", "o", "n", "n x", "the", "quick", "brown fox"}, []int{2, 2, 3}, []int64{2, 1, 3, 3}},
		// Python: " a b  c ".split(None, 1) == ['a', 'b  c '];
		// "".split(None) == []; "   ".split(None, 0) == [];
		// " x ".split(None, 0) == ['x '].
		{"python whitespace", w2dT([]string{" a b  c ", "", "   ", " x "}), []*ir.Attribute{attrInt("maxsplit", 1)},
			[]string{"a", "b  c ", "", "", "", "", "x", ""}, []int{4, 2}, []int64{2, 0, 0, 1}},
		{"maxsplit 0", w2dT([]string{"   ", " x y "}), []*ir.Attribute{attrInt("maxsplit", 0)},
			[]string{"", "x y "}, []int{2, 1}, []int64{0, 1}},
		// Python: "".split(",") == ['']; "a,,b".split(",", 1) == ['a', ',b'].
		{"python delimiter", w2dT([]string{"", "a,,b", ","}), []*ir.Attribute{attrStr("delimiter", ","), attrInt("maxsplit", 1)},
			[]string{"", "", "a", ",b", "", ""}, []int{3, 2}, []int64{1, 2, 2}},
		{"multi-byte delimiter", w2dT([]string{"a<>b<>", "<><>"}), []*ir.Attribute{attrStr("delimiter", "<>"), attrInt("maxsplit", -1)},
			[]string{"a", "b", "", "", "", ""}, []int{2, 3}, []int64{3, 3}},
		{"unicode space", w2dT([]string{"a\u00a0b\u2003c\x1fd"}), nil, []string{"a", "b", "c", "d"}, []int{1, 4}, []int64{4}},
		{"scalar", tensor.Scalar("x y"), nil, []string{"x", "y"}, []int{2}, []int64{2}},
	} {
		out, err := evalNode("", "StringSplit", 20, 2, []*tensor.Tensor{c.in}, c.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		w2dCheck(t, c.name, out[0], c.want, c.shape...)
		w2dCheck(t, c.name+" counts", out[1], c.counts, c.in.Shape()...)
	}
	if _, err := evalNode("", "StringSplit", 20, 2, []*tensor.Tensor{w2dT([]float32{1})}); !errors.Is(err, ops.ErrInvalidNode) {
		t.Errorf("float input: err = %v", err)
	}
}

func TestStrOfficialCases(t *testing.T) {
	for _, name := range []string{
		"test_strnormalizer_export_monday_casesensintive_lower", "test_strnormalizer_export_monday_casesensintive_nochangecase",
		"test_strnormalizer_export_monday_casesensintive_upper", "test_strnormalizer_export_monday_empty_output",
		"test_strnormalizer_export_monday_insensintive_upper_twodim", "test_strnormalizer_nostopwords_nochangecase",
		"test_tfidfvectorizer_tf_batch_onlybigrams_skip0", "test_tfidfvectorizer_tf_batch_onlybigrams_skip5",
		"test_tfidfvectorizer_tf_batch_uniandbigrams_skip5", "test_tfidfvectorizer_tf_only_bigrams_skip0",
		"test_tfidfvectorizer_tf_onlybigrams_levelempty", "test_tfidfvectorizer_tf_onlybigrams_skip5",
		"test_tfidfvectorizer_tf_uniandbigrams_skip5",
	} {
		t.Run(name, func(t *testing.T) {
			c := onnxLoadCase(t, name)
			got, err := c.run(t)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if w.DType() == tensor.String {
					w2dCheck(t, name, got[i], tensor.Data[string](w), w.Shape()...)
				} else {
					w2dCheck(t, name, got[i], tensor.Data[float32](w), w.Shape()...)
				}
			}
		})
	}
}

func BenchmarkStrTfIdf(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	x := make([]int64, 64*256)
	for i := range x {
		x[i] = int64(r.Intn(100))
	}
	pool := make([]int64, 0, 300)
	for i := range 100 {
		pool = append(pool, int64(i))
	}
	for range 100 {
		pool = append(pool, int64(r.Intn(100)), int64(r.Intn(100)))
	}
	idx := make([]int64, 200)
	for i := range idx {
		idx[i] = int64(i)
	}
	in := []*tensor.Tensor{w2dT(x, 64, 256)}
	attrs := []*ir.Attribute{attrInt("min_gram_length", 1), attrInt("max_gram_length", 2), attrInt("max_skip_count", 3),
		attrStr("mode", "TF"), attrInts("ngram_counts", 0, 100), attrInts("pool_int64s", pool...), attrInts("ngram_indexes", idx...)}
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 8))
	for b.Loop() {
		if _, err := evalNode("", "TfIdfVectorizer", 9, 1, in, attrs...); err != nil {
			b.Fatal(err)
		}
	}
}
