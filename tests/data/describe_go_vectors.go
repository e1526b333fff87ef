// Command describe_go_vectors prints test vectors for kube-ai-proxy's ports of the Go code behind
// `kubectl describe` (kube_ai_proxy/describe_text.py): Go's text/tabwriter and sort.Slice,
// fmt's %v of float64, apimachinery's HumanDuration, resource.Quantity and label selectors.
// The inputs are pseudo-random with a fixed seed; the outputs are what Go makes of them.
//
// Regenerate tests/data/describe-go-vectors.json (offline, from the Go module cache):
//
//	mkdir /tmp/vecs && cp tests/data/describe_go_vectors.go /tmp/vecs/main.go && cd /tmp/vecs
//	go mod init vecs && go get k8s.io/apimachinery@v0.35.4 && go run . > OUT.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

type tabCase struct {
	Writes []string `json:"writes"` // written in turn; "\u0000FLUSH" flushes
	Output string   `json:"output"`
}

type sortCase struct {
	Keys  []int `json:"keys"`
	Order []int `json:"order"` // the original indexes, in the order sort.Slice leaves them
}

type quantityCase struct {
	Inputs []string `json:"inputs"`
	Each   []string `json:"each"`  // String() of each, parsed
	Sum    string   `json:"sum"`   // String() of their sum, added in order
	Milli  int64    `json:"milli"` // MilliValue() of the sum
	Value  int64    `json:"value"` // Value() of the sum
}

type selectorCase struct {
	Selector *metav1.LabelSelector `json:"selector"`
	String   string                `json:"string"`
}

func tabwriterCases(r *rand.Rand) []tabCase {
	words := []string{"", "a", "Name:", "Namespace:", "x", "longer-cell-text", "Ünïcode", "  ", "<none>"}
	seps := []string{"\t", "\n", "\t", "\t\t", "\n", "\v", " "}
	var cases []tabCase
	for i := 0; i < 120; i++ {
		var writes []string
		for w := 0; w < 1+r.Intn(6); w++ {
			var b strings.Builder
			for p := 0; p < r.Intn(14); p++ {
				b.WriteString(words[r.Intn(len(words))])
				b.WriteString(seps[r.Intn(len(seps))])
			}
			writes = append(writes, b.String())
			if r.Intn(5) == 0 {
				writes = append(writes, "\x00FLUSH")
			}
		}
		var out bytes.Buffer
		tw := new(tabwriter.Writer)
		tw.Init(&out, 0, 8, 2, ' ', 0)
		for _, w := range writes {
			if w == "\x00FLUSH" {
				tw.Flush()
				continue
			}
			fmt.Fprint(tw, w)
		}
		tw.Flush()
		cases = append(cases, tabCase{writes, out.String()})
	}
	return cases
}

func sortCases(r *rand.Rand) []sortCase {
	var cases []sortCase
	for _, n := range []int{0, 1, 2, 5, 12, 13, 20, 49, 50, 51, 64, 100, 257} {
		for _, spread := range []int{1, 3, 10, 1000000} {
			keys := make([]int, n)
			for i := range keys {
				keys[i] = r.Intn(spread)
			}
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
			cases = append(cases, sortCase{keys, idx})
		}
		// sorted, reversed and sawtooth inputs take pdqsort's other paths
		for _, shape := range []string{"up", "down", "saw"} {
			keys := make([]int, n)
			for i := range keys {
				switch shape {
				case "up":
					keys[i] = i / 3
				case "down":
					keys[i] = (n - i) / 2
				case "saw":
					keys[i] = i % 7
				}
			}
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
			cases = append(cases, sortCase{keys, idx})
		}
	}
	return cases
}

func main() {
	r := rand.New(rand.NewSource(42))
	var floats []float64
	for _, f := range []float64{0, 1, -1, 1.5, 0.1, 0.0001, 0.00001, 123456, 1234567, 1e20, 1e21, 1e-7, 3.14159, 100000.5, 2.5e-7, -0.75, 999999.9} {
		floats = append(floats, f)
	}
	for i := 0; i < 50; i++ {
		floats = append(floats, r.NormFloat64()*float64(r.Intn(1000000)))
	}
	var floatText []string
	for _, f := range floats {
		floatText = append(floatText, fmt.Sprintf("%v", f))
	}
	var durations []float64
	var durationText []string
	for _, s := range []float64{-5, -1.5, -0.5, 0, 0.9, 1, 59, 119.9, 120, 121, 599, 600, 601, 10799, 10800, 28799, 28800, 172799, 172800, 691199, 691200, 63071999, 63072000, 252287999, 252288000} {
		durations = append(durations, s)
	}
	for i := 0; i < 60; i++ {
		durations = append(durations, float64(r.Int63n(400000000))/float64(1+r.Intn(3)))
	}
	for _, s := range durations {
		durationText = append(durationText, duration.HumanDuration(time.Duration(s*float64(time.Second))))
	}
	quantities := [][]string{
		{"0"}, {"1"}, {"100m", "250m"}, {"1", "500m"}, {"1Gi", "512Mi"}, {"1Gi", "1500M"},
		{"300Mi", "1500M", "100Mi"}, {"1k"}, {"1Ti"}, {"1M"}, {"2", "200m"}, {"1.5"},
		{"0.1"}, {"1e3"}, {"1e3", "1"}, {"1023"}, {"1024"}, {"1025Ki"}, {"1.5Gi"},
		{"100Mi", "100Mi"}, {"500M", "500M"}, {"12345678n"}, {"1u"}, {"0.5Ki"}, {"3E"},
		{"1Ki", "1"}, {"2Mi", "1k"}, {"7", "1Gi"}, {"1m", "1m", "1m"},
	}
	var qcases []quantityCase
	for _, inputs := range quantities {
		var sum resource.Quantity
		var each []string
		for i, in := range inputs {
			q := resource.MustParse(in)
			each = append(each, q.String())
			if i == 0 {
				sum = q.DeepCopy()
			} else {
				sum.Add(q)
			}
		}
		qcases = append(qcases, quantityCase{inputs, each, sum.String(), sum.MilliValue(), sum.Value()})
	}
	selectors := []*metav1.LabelSelector{
		nil,
		{},
		{MatchLabels: map[string]string{"app": "web"}},
		{MatchLabels: map[string]string{"b": "2", "a": "1", "c": "3"}},
		{MatchLabels: map[string]string{"app": "agent"}, MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"b", "a"}},
			{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
			{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod"}},
			{Key: "zz", Operator: metav1.LabelSelectorOpExists},
		}},
	}
	var scases []selectorCase
	for _, s := range selectors {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			panic(err)
		}
		scases = append(scases, selectorCase{s, sel.String()})
	}
	out := map[string]any{
		"tabwriter":  tabwriterCases(r),
		"sort":       sortCases(r),
		"floats":     map[string]any{"inputs": floats, "outputs": floatText},
		"durations":  map[string]any{"seconds": durations, "outputs": durationText},
		"quantities": qcases,
		"selectors":  scases,
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
