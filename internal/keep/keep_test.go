package keep

import "testing"

func TestList(t *testing.T) {
	var empty List[int]
	if empty.Get() != nil {
		t.Error("Get on an empty List without New returned an item")
	}
	made := 0
	l := List[int]{New: func() *int { made++; return new(int) }}
	a, b := l.Get(), l.Get()
	if made != 2 || a == b {
		t.Fatalf("two Gets made %d items", made)
	}
	l.Put(a)
	if c := l.Get(); c != a || made != 2 {
		t.Errorf("Get after Put: %p (made %d), want the item put back, %p", c, made, a)
	}
}
