package generic

// The string ops: StringNormalizer, TfIdfVectorizer, RegexFullMatch,
// StringConcat and StringSplit. Strings are Go strings holding ONNX's UTF-8
// bytes; case changes use Go's Unicode tables, which are those of en_US
// (the locale attribute is not consulted).

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/onyxml/onyx/ops"
	"github.com/onyxml/onyx/tensor"
)

func init() {
	register("StringNormalizer", strNewNormalizer)
	register("TfIdfVectorizer", strNewTfIdf)
	register("RegexFullMatch", strNewRegexFullMatch)
	register("StringConcat", strNewConcat)
	register("StringSplit", strNewSplit)
}

// strNewNormalizer builds StringNormalizer: drop the stop words (compared
// after lowercasing both sides unless is_case_sensitive), then change the
// case of what is left. When everything is dropped the output is one empty
// string, shaped [1] or [1, 1].
func strNewNormalizer(n *ops.Node) (ops.Kernel, error) {
	fold := n.AttrInt("is_case_sensitive") == 0
	stop := map[string]bool{}
	for _, w := range n.AttrStrings("stopwords") {
		if fold {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	var change func(string) string
	switch a := n.AttrString("case_change_action"); a {
	case "NONE":
	case "LOWER":
		change = strings.ToLower
	case "UPPER":
		change = strings.ToUpper
	default:
		return nil, ops.Errorf("case_change_action %q, want NONE, LOWER or UPPER", a)
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		x := in[0]
		shape := x.Shape()
		if len(shape) != 1 && (len(shape) != 2 || shape[0] != 1) {
			return fmt.Errorf("%w: StringNormalizer input shape %v, want [C] or [1, C]", ops.ErrShapeMismatch, shape)
		}
		src := tensor.Data[string](x)
		keep := make([]string, 0, len(src))
		for _, s := range src {
			key := s
			if fold && len(stop) > 0 {
				key = strings.ToLower(s)
			}
			if stop[key] {
				continue
			}
			if change != nil {
				s = change(s)
			}
			keep = append(keep, s)
		}
		if len(keep) == 0 && len(src) > 0 {
			keep = append(keep, "")
		}
		oshape := []int{len(keep)}
		if len(shape) == 2 {
			oshape = []int{1, len(keep)}
		}
		y, err := nnOut(out, 0, tensor.String, oshape)
		if err != nil {
			return err
		}
		copy(tensor.Data[string](y), keep)
		return nil
	}), nil
}

// strTfIdf is a TfIdfVectorizer node's kernel. The pool's n-grams are keyed
// by their encoding (strTfIdfKey); grams maps a key to the n-gram ids that
// hold it (one, unless the pool repeats an n-gram).
type strTfIdf struct {
	p     *ops.TfIdfParams
	maxN  int // the longest n-gram length the pool has and the node counts
	grams map[string][]int32
}

// strTfIdfKey appends the encoding of one n-gram item to key: 8 bytes of an
// integer, or a string's length as a uvarint and then its bytes. Both are
// prefix-free, so distinct sequences never share a key.
func strTfIdfKeyInt(key []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(key, uint64(v))
}

func strTfIdfKeyStr(key []byte, s string) []byte {
	return append(binary.AppendUvarint(key, uint64(len(s))), s...)
}

func strNewTfIdf(n *ops.Node) (ops.Kernel, error) {
	p, err := ops.TfIdfParamsOf(n)
	if err != nil {
		return nil, err
	}
	dt := n.In[0].DType
	if p.Strs && dt != tensor.String || !p.Strs && dt != tensor.Int32 && dt != tensor.Int64 {
		return nil, ops.Errorf("TfIdfVectorizer input %v does not match its pool", dt)
	}
	k := &strTfIdf{p: p, maxN: min(p.MaxN, len(p.Levels)), grams: map[string][]int32{}}
	id := int32(0)
	var key []byte
	for lv, r := range p.Levels {
		size := lv + 1
		for at := r[0]; at < r[1]; at += size {
			key = key[:0]
			for j := at; j < at+size; j++ {
				if p.Strs {
					key = strTfIdfKeyStr(key, p.Strings[j])
				} else {
					key = strTfIdfKeyInt(key, p.Ints[j])
				}
			}
			k.grams[string(key)] = append(k.grams[string(key)], id)
			id++
		}
	}
	return k, nil
}

// Run counts, for every row of the input, each n-gram of length MinN..MaxN
// found at positions start, start+s+1, start+2(s+1), ... for every skip s
// in 0..MaxSkip (unigrams once per position), then weights the counts.
func (k *strTfIdf) Run(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
	x := in[0]
	shape := x.Shape()
	rows, c := 1, 0
	var oshape []int
	switch len(shape) {
	case 1:
		c, oshape = shape[0], []int{k.p.Size}
	case 2:
		rows, c, oshape = shape[0], shape[1], []int{shape[0], k.p.Size}
	default:
		return fmt.Errorf("%w: TfIdfVectorizer input shape %v, want [C] or [N, C]", ops.ErrShapeMismatch, shape)
	}
	y, err := nnOut(out, 0, tensor.Float32, oshape)
	if err != nil {
		return err
	}
	yd := tensor.Data[float32](y)
	clear(yd)
	var ints []int64
	var strs []string
	if k.p.Strs {
		strs = tensor.Data[string](x)
	} else if ints, err = x.Int64s(); err != nil {
		return err
	}
	counts := make([]int, len(k.p.Indexes))
	var key []byte
	for r := range rows {
		clear(counts)
		item := func(key []byte, i int) []byte {
			if strs != nil {
				return strTfIdfKeyStr(key, strs[r*c+i])
			}
			return strTfIdfKeyInt(key, ints[r*c+i])
		}
		for size := k.p.MinN; size <= k.maxN && size <= c; size++ {
			if lv := k.p.Levels[size-1]; lv[0] == lv[1] {
				continue // no n-gram of this length in the pool
			}
			for skip := 0; skip <= k.p.MaxSkip; skip++ {
				stride := skip + 1
				if size > 1 && size-1 > (c-1)/stride {
					break // the n-gram no longer fits in the row
				}
				span := (size - 1) * stride
				for start := 0; start+span < c; start++ {
					key = key[:0]
					for j := start; j <= start+span; j += stride {
						key = item(key, j)
					}
					for _, id := range k.grams[string(key)] {
						counts[id]++
					}
				}
				if size == 1 {
					break // skips do not change unigrams
				}
			}
		}
		row := yd[r*k.p.Size : (r+1)*k.p.Size]
		for id, cnt := range counts {
			if cnt == 0 {
				continue
			}
			v := float32(cnt)
			w := float32(1)
			if k.p.Weights != nil {
				w = k.p.Weights[id]
			}
			switch k.p.Mode {
			case "IDF":
				v = w
			case "TFIDF":
				v *= w
			}
			row[k.p.Indexes[id]] += v
		}
	}
	return nil
}

func strNewRegexFullMatch(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.String {
		return nil, nil
	}
	re, err := ops.FullMatchRegexp(n.AttrString("pattern"))
	if err != nil {
		return nil, err
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		y, err := nnOut(out, 0, tensor.Bool, in[0].Shape())
		if err != nil {
			return err
		}
		yd := tensor.Data[bool](y)
		for i, s := range tensor.Data[string](in[0]) {
			yd[i] = re.MatchString(s)
		}
		return nil
	}), nil
}

func strNewConcat(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.String || n.In[1].DType != tensor.String {
		return nil, nil
	}
	return elemBin(n, tensor.String, elemRowFn(func(a, b string) string { return a + b }), nil)
}

// strNewSplit builds StringSplit. Output 0 has the input's shape plus a
// last dim as long as the most substrings any element gave, padded with
// empty strings; output 1 counts each element's substrings. Splitting
// follows Python's str.split, which the spec's reference uses.
func strNewSplit(n *ops.Node) (ops.Kernel, error) {
	if n.In[0].DType != tensor.String {
		return nil, nil
	}
	delim := n.AttrString("delimiter")
	maxsplit := int64(-1)
	if n.HasAttr("maxsplit") {
		maxsplit = n.AttrInt("maxsplit")
	}
	return ops.KernelFunc(func(_ *ops.ExecContext, in, out []*tensor.Tensor) error {
		src := tensor.Data[string](in[0])
		parts := make([][]string, len(src))
		most := 0
		for i, s := range src {
			if delim == "" {
				parts[i] = strSplitSpace(s, maxsplit)
			} else if maxsplit < 0 || maxsplit >= int64(len(s)) {
				parts[i] = strings.Split(s, delim)
			} else {
				parts[i] = strings.SplitN(s, delim, int(maxsplit)+1)
			}
			most = max(most, len(parts[i]))
		}
		shape := in[0].Shape()
		y, err := nnOut(out, 0, tensor.String, append(append([]int{}, shape...), most))
		if err != nil {
			return err
		}
		z, err := nnOut(out, 1, tensor.Int64, shape)
		if err != nil {
			return err
		}
		yd, zd := tensor.Data[string](y), tensor.Data[int64](z)
		for i, p := range parts {
			copy(yd[i*most:(i+1)*most], p)
			zd[i] = int64(len(p))
		}
		return nil
	}), nil
}

// strIsSpace is Python's str.isspace for one rune: Unicode white space and
// the separators U+001C..U+001F.
func strIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// strSplitSpace splits s on runs of white space, ignoring leading and
// trailing white space, into at most maxsplit+1 parts (maxsplit < 0: no
// limit); the last part then keeps the rest of s after leading white space,
// as Python's s.split(None, maxsplit) does.
func strSplitSpace(s string, maxsplit int64) []string {
	var parts []string
	i := 0
	skip := func() {
		for i < len(s) {
			r, w := utf8.DecodeRuneInString(s[i:])
			if !strIsSpace(r) {
				return
			}
			i += w
		}
	}
	for ; maxsplit != 0; maxsplit-- {
		skip()
		if i == len(s) {
			return parts
		}
		j := i
		for i < len(s) {
			r, w := utf8.DecodeRuneInString(s[i:])
			if strIsSpace(r) {
				break
			}
			i += w
		}
		parts = append(parts, s[j:i])
	}
	skip()
	if i < len(s) {
		parts = append(parts, s[i:])
	}
	return parts
}
