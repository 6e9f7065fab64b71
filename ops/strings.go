package ops

import (
	"regexp"

	"github.com/onyxml/onyx/ir"
	"github.com/onyxml/onyx/tensor"
)

// Schemas of the string ops: StringNormalizer, TfIdfVectorizer,
// RegexFullMatch, StringConcat and StringSplit.

func init() {
	RegisterSchema(&Schema{
		Name: "StringNormalizer", Since: 10,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "case_change_action", Type: ir.AttrString, Default: "NONE"},
			{Name: "is_case_sensitive", Type: ir.AttrInt, Default: int64(0)},
			{Name: "locale", Type: ir.AttrString},
			{Name: "stopwords", Type: ir.AttrStrings},
		},
		Infer: strNormalizerInfer,
		Doc:   "StringNormalizer drops stop words from a [C] or [1, C] string tensor and changes the case of the rest.",
	})

	RegisterSchema(&Schema{
		Name: "TfIdfVectorizer", Since: 9,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{
			{Name: "max_gram_length", Type: ir.AttrInt, Required: true},
			{Name: "max_skip_count", Type: ir.AttrInt, Required: true},
			{Name: "min_gram_length", Type: ir.AttrInt, Required: true},
			{Name: "mode", Type: ir.AttrString, Required: true},
			{Name: "ngram_counts", Type: ir.AttrInts, Required: true},
			{Name: "ngram_indexes", Type: ir.AttrInts, Required: true},
			{Name: "pool_int64s", Type: ir.AttrInts},
			{Name: "pool_strings", Type: ir.AttrStrings},
			{Name: "weights", Type: ir.AttrFloats},
		},
		Infer: strTfIdfInfer,
		Doc:   "TfIdfVectorizer counts the pool's n-grams (with skips) in each row of its input, weighted by mode.",
	})

	RegisterSchema(&Schema{
		Name: "RegexFullMatch", Since: 20,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 1, MaxOutputs: 1,
		Attrs: []AttrDef{{Name: "pattern", Type: ir.AttrString}},
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := n.CheckDType(0, tensor.String); err != nil {
				return nil, err
			}
			if _, err := FullMatchRegexp(n.AttrString("pattern")); err != nil {
				return nil, err
			}
			return []TypeShape{{DType: tensor.Bool, Shape: n.In[0].Shape}}, nil
		},
		Doc: "RegexFullMatch tells which strings fully match an RE2 pattern.",
	})

	RegisterSchema(&Schema{
		Name: "StringConcat", Since: 20,
		MinInputs: 2, MaxInputs: 2, MinOutputs: 1, MaxOutputs: 1,
		Infer: func(n *Node) ([]TypeShape, error) {
			for i := range 2 {
				if err := n.CheckDType(i, tensor.String); err != nil {
					return nil, err
				}
			}
			return Broadcast(n)
		},
		Doc: "StringConcat concatenates two string tensors elementwise, with broadcasting.",
	})

	RegisterSchema(&Schema{
		Name: "StringSplit", Since: 20,
		MinInputs: 1, MaxInputs: 1, MinOutputs: 2, MaxOutputs: 2,
		Attrs: []AttrDef{
			{Name: "delimiter", Type: ir.AttrString},
			{Name: "maxsplit", Type: ir.AttrInt},
		},
		Infer: func(n *Node) ([]TypeShape, error) {
			if err := n.CheckDType(0, tensor.String); err != nil {
				return nil, err
			}
			s := n.In[0].Shape
			var sub ir.Shape
			if s != nil {
				// The substring count is data-dependent: the last dim is
				// unknown even when the strings are.
				sub = append(append(ir.Shape{}, s...), ir.UnknownDim)
			}
			return []TypeShape{{DType: tensor.String, Shape: sub}, {DType: tensor.Int64, Shape: s}}, nil
		},
		Doc: "StringSplit splits each string on a delimiter (or runs of whitespace), padding with empty strings.",
	})
}

// FullMatchRegexp compiles an RE2 pattern (Go's regexp syntax) anchored at
// both ends, so that MatchString reports a full match. A bad pattern gives
// an ErrInvalidNode error.
func FullMatchRegexp(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`\A(?:` + pattern + `)\z`)
	if err != nil {
		return nil, Errorf("pattern %q: %v", pattern, err)
	}
	return re, nil
}

func strNormalizerInfer(n *Node) ([]TypeShape, error) {
	if err := n.CheckDType(0, tensor.String); err != nil {
		return nil, err
	}
	switch a := n.AttrString("case_change_action"); a {
	case "NONE", "LOWER", "UPPER":
	default:
		return nil, Errorf("case_change_action %q, want NONE, LOWER or UPPER", a)
	}
	s := n.In[0].Shape
	switch {
	case s == nil:
		return []TypeShape{{DType: tensor.String}}, nil
	case len(s) == 2 && s[0].Known() && s[0].Value != 1, len(s) != 1 && len(s) != 2:
		return nil, Errorf("input shape [%v], want [C] or [1, C]", s)
	}
	out := append(ir.Shape{}, s...)
	if len(s) == 2 {
		out[0] = ir.DimOf(1)
	}
	if len(n.AttrStrings("stopwords")) > 0 {
		// How many strings survive depends on the data.
		out[len(out)-1] = ir.UnknownDim
	}
	return []TypeShape{{DType: tensor.String, Shape: out}}, nil
}

// TfIdfParams are a TfIdfVectorizer node's validated attributes.
type TfIdfParams struct {
	MinN, MaxN int // n-gram lengths to count
	MaxSkip    int
	Mode       string // "TF", "IDF" or "TFIDF"
	// Levels[k] is the range [start, end) of the pool holding the n-grams
	// of length k+1.
	Levels [][2]int
	// Ints or Strings is the pool (exactly one is set; Ints may be empty).
	Ints    []int64
	Strings []string
	Strs    bool // the pool is Strings
	// Indexes[i] is the output coordinate of the i-th n-gram of the pool.
	Indexes []int
	// Weights[i] scales the i-th n-gram's count in IDF and TFIDF modes
	// (nil: all ones).
	Weights []float32
	// Size is the length of an output row: max(Indexes)+1.
	Size int
}

// TfIdfParamsOf validates n's TfIdfVectorizer attributes.
func TfIdfParamsOf(n *Node) (*TfIdfParams, error) {
	p := &TfIdfParams{Mode: n.AttrString("mode"), Weights: n.AttrFloats("weights")}
	switch p.Mode {
	case "TF", "IDF", "TFIDF":
	default:
		return nil, Errorf("mode %q, want TF, IDF or TFIDF", p.Mode)
	}
	minN, maxN, skip := n.AttrInt("min_gram_length"), n.AttrInt("max_gram_length"), n.AttrInt("max_skip_count")
	if minN < 1 || maxN < minN || skip < 0 || maxN > tensor.MaxElements || skip > tensor.MaxElements {
		return nil, Errorf("min_gram_length %d, max_gram_length %d, max_skip_count %d: want 1 <= min <= max and skip >= 0", minN, maxN, skip)
	}
	p.MinN, p.MaxN, p.MaxSkip = int(minN), int(maxN), int(skip)
	hasInts, hasStrs := n.HasAttr("pool_int64s"), n.HasAttr("pool_strings")
	if hasInts == hasStrs {
		return nil, Errorf("exactly one of pool_int64s and pool_strings must be set")
	}
	p.Strs = hasStrs
	pool := 0
	if hasStrs {
		p.Strings = n.AttrStrings("pool_strings")
		pool = len(p.Strings)
	} else {
		p.Ints = n.AttrInts("pool_int64s")
		pool = len(p.Ints)
	}
	counts := n.AttrInts("ngram_counts")
	grams := 0
	for k, c := range counts {
		end := int64(pool)
		if k+1 < len(counts) {
			end = counts[k+1]
		}
		if c < 0 || c > end || end > int64(pool) || (k == 0 && c != 0) {
			return nil, Errorf("ngram_counts %v do not split a pool of %d into levels", counts, pool)
		}
		if (end-c)%int64(k+1) != 0 {
			return nil, Errorf("ngram_counts %v: level %d holds %d items, not a multiple of %d", counts, k+1, end-c, k+1)
		}
		p.Levels = append(p.Levels, [2]int{int(c), int(end)})
		grams += int(end-c) / (k + 1)
	}
	if len(counts) == 0 && pool != 0 {
		return nil, Errorf("ngram_counts is empty for a pool of %d", pool)
	}
	idx := n.AttrInts("ngram_indexes")
	if len(idx) != grams {
		return nil, Errorf("%d ngram_indexes for %d n-grams in the pool", len(idx), grams)
	}
	p.Indexes = make([]int, len(idx))
	for i, v := range idx {
		if v < 0 || v >= tensor.MaxElements {
			return nil, Errorf("ngram_indexes[%d] = %d out of range", i, v)
		}
		p.Indexes[i] = int(v)
		p.Size = max(p.Size, int(v)+1)
	}
	if p.Weights != nil && len(p.Weights) != len(idx) {
		return nil, Errorf("%d weights for %d ngram_indexes", len(p.Weights), len(idx))
	}
	return p, nil
}

func strTfIdfInfer(n *Node) ([]TypeShape, error) {
	p, err := TfIdfParamsOf(n)
	if err != nil {
		return nil, err
	}
	if p.Strs {
		err = n.CheckDType(0, tensor.String)
	} else {
		err = n.CheckDType(0, tensor.Int32, tensor.Int64)
	}
	if err != nil {
		return nil, err
	}
	s := n.In[0].Shape
	switch {
	case s == nil:
		return []TypeShape{{DType: tensor.Float32}}, nil
	case len(s) == 1:
		return []TypeShape{Of(tensor.Float32, p.Size)}, nil
	case len(s) == 2:
		return []TypeShape{Ranked(tensor.Float32, ir.Shape{s[0], ir.DimOf(int64(p.Size))})}, nil
	}
	return nil, Errorf("input of rank %d, want [C] or [N, C]", len(s))
}
