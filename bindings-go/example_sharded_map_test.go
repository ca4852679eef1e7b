package atomicperf_test

import (
	"fmt"
	"sort"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleShardedMap() {
	sessions := atomicperf.MustNewShardedMap(0) // 0: the default shard count
	defer sessions.Close()

	sessions.InsertString("sess-1", "alice")
	sessions.Insert([]byte("sess-2"), []byte("bob"))
	replaced, _ := sessions.InsertString("sess-1", "alice (admin)")
	fmt.Println("replaced:", replaced)

	user, found, err := sessions.GetString("sess-1")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %v\n", user, found)

	_, found, _ = sessions.GetString("sess-3")
	fmt.Println("sess-3 found:", found)
	fmt.Println("len:", sessions.Len())
	// Output:
	// replaced: true
	// alice (admin) true
	// sess-3 found: false
	// len: 2
}

func ExampleShardedMap_InsertIfAbsent() {
	leaders := atomicperf.MustNewShardedMap(0)
	defer leaders.Close()

	// Of several nodes racing to lead a shard, exactly one wins.
	for _, node := range []string{"node-a", "node-b"} {
		won, _ := leaders.InsertIfAbsent([]byte("shard-7"), []byte(node))
		fmt.Println(node, "leads:", won)
	}
	// Output:
	// node-a leads: true
	// node-b leads: false
}

func ExampleShardedMap_Snapshot() {
	m := atomicperf.MustNewShardedMap(0)
	defer m.Close()
	m.InsertString("b", "2")
	m.InsertString("a", "1")

	snap, err := m.Snapshot() // a Go map of copies; the shard map keeps serving meanwhile
	if err != nil {
		panic(err)
	}
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%s\n", k, snap[k])
	}
	// Output:
	// a=1
	// b=2
}
