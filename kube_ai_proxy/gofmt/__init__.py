"""Go's printing, ported once each: text as Go programs print it, for answers that must equal
a Go CLI's output character for character.

One module per concept: `numbers` (strconv's float formats), `json` (encoding/json), `yaml`
(sigs.k8s.io/yaml over go-yaml v2), `tabwriter` (text/tabwriter and kubectl's
liggitt/tabwriter), `uitable` (gosuri/uitable, helm's tables), `times` (Go's time formats),
`values` (fmt's %v), `text` (strconv.Quote, strings.ToUpper, byte prefixes, terminal
escapes), `sort` (sort.Sort's pdqsort, whose tie order is printed). Every port names the Go
function it follows. What a Go program would print in a way not reproduced here raises
errors.Defer: the CLI then prints it.

This package is a leaf: it imports nothing from kube_ai_proxy but `errors` (for Defer), so
any reader can use it and it can never take part in an import cycle.
"""
