"""kubectl's describers (k8s.io/kubectl/pkg/describe), ported one per kind and grouped by kind
family: `workloads`, `networking`, `nodes`, `cluster`, `config`, `storage`, and `generic` for
every kind without a describer of its own. `registry` says which describer a kind gets, `gather`
what the describers read besides the object, `parts` the sections they share."""
