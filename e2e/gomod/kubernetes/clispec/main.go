// Command clispec prints kubectl's command tree and flags as JSON: the spec kube-ai-proxy's
// command parser reads (kube_ai_proxy/specs/kubectl.json). It builds the tree exactly as
// cmd/kubectl does, so the parser sees the same subcommands, aliases and flags as kubectl.
package main

import (
	"encoding/json"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	"k8s.io/component-base/version"
	"k8s.io/kubectl/pkg/cmd"
)

type flagSpec struct {
	Name       string `json:"name"`
	Short      string `json:"short,omitempty"`
	Type       string `json:"type"`
	TakesValue bool   `json:"takes_value"`
	NoOptValue string `json:"no_opt_value,omitempty"`
	Persistent bool   `json:"persistent,omitempty"`
	Hidden     bool   `json:"hidden,omitempty"`
}

type commandSpec struct {
	Path               string     `json:"path"`
	Aliases            []string   `json:"aliases,omitempty"`
	Short              string     `json:"short,omitempty"`
	DisableFlagParsing bool       `json:"disable_flag_parsing,omitempty"`
	Flags              []flagSpec `json:"flags"`
}

type cliSpec struct {
	Tool                 string        `json:"tool"`
	Version              string        `json:"version"`
	NormalizeUnderscores bool          `json:"normalize_underscores"`
	Complete             bool          `json:"complete"`
	Commands             []commandSpec `json:"commands"`
}

func flagsOf(c *cobra.Command) []flagSpec {
	var out []flagSpec
	// LocalFlags holds the flags defined on this command, persistent ones included; inherited
	// flags are found by the parser on the ancestors.
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		out = append(out, flagSpec{
			Name:       f.Name,
			Short:      f.Shorthand,
			Type:       f.Value.Type(),
			TakesValue: f.NoOptDefVal == "",
			NoOptValue: f.NoOptDefVal,
			Persistent: c.PersistentFlags().Lookup(f.Name) != nil,
			Hidden:     f.Hidden,
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func walk(c *cobra.Command, path []string, out *[]commandSpec) {
	aliases := append([]string(nil), c.Aliases...)
	*out = append(*out, commandSpec{
		Path:               strings.Join(path, " "),
		Aliases:            aliases,
		Short:              c.Short,
		DisableFlagParsing: c.DisableFlagParsing,
		Flags:              flagsOf(c),
	})
	for _, child := range c.Commands() {
		walk(child, append(append([]string(nil), path...), child.Name()), out)
	}
}

func main() {
	root := cmd.NewDefaultKubectlCommand()
	// The same two steps component-base's cli.Run applies before kubectl parses its arguments.
	root.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	logs.AddFlags(root.PersistentFlags())
	// cobra adds help (and for the root, completion) lazily at execution time.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var commands []commandSpec
	walk(root, nil, &commands)
	for i := range commands {
		// --help exists on every command; cobra adds it lazily, so it is not in LocalFlags yet.
		commands[i].Flags = append(commands[i].Flags, flagSpec{Name: "help", Short: "h", Type: "bool", NoOptValue: "true"})
	}
	spec := cliSpec{Tool: "kubectl", Version: version.Get().GitVersion, NormalizeUnderscores: true, Complete: true, Commands: commands}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(spec); err != nil {
		panic(err)
	}
}
