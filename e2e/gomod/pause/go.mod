// The pod sandbox's first process (the image kubelet calls the pause image), written here: the
// node image needs one and no registry can be pulled from.
module kube-ai-proxy.local/e2e/pause

go 1.26.0
