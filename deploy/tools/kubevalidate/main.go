// Command kubevalidate checks Kubernetes objects the way the API server does on create, without
// a cluster: each YAML document is decoded strictly (unknown or duplicate fields are errors),
// defaulted, converted to the internal type and run through the API server's own validation
// (k8s.io/kubernetes/pkg/apis/*/validation): selectors that do not match their pod template,
// probes naming a port the container lacks, enum values, label and name syntax, quantities.
// Kinds that are not built in (Strimzi's KafkaTopic) are listed as skipped; deploy/manifests.py
// checks them against their own schema.
//
// deploy/bootstrap.sh builds it into .local/bin; deploy/manifests.py feeds it the output of
// `kustomize build deploy/k8s` on standard input. One line per error, exit status 1 if any.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/apps"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	appsvalidation "k8s.io/kubernetes/pkg/apis/apps/validation"
	"k8s.io/kubernetes/pkg/apis/autoscaling"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	autoscalingvalidation "k8s.io/kubernetes/pkg/apis/autoscaling/validation"
	"k8s.io/kubernetes/pkg/apis/batch"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	batchvalidation "k8s.io/kubernetes/pkg/apis/batch/validation"
	"k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/networking"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	networkingvalidation "k8s.io/kubernetes/pkg/apis/networking/validation"
	"k8s.io/kubernetes/pkg/apis/policy"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	policyvalidation "k8s.io/kubernetes/pkg/apis/policy/validation"
	sigsyaml "sigs.k8s.io/yaml"
)

func validate(obj runtime.Object) (field.ErrorList, bool) {
	pod := corevalidation.PodValidationOptions{}
	switch o := obj.(type) {
	case *apps.Deployment:
		return appsvalidation.ValidateDeployment(o, pod), true
	case *batch.Job:
		return batchvalidation.ValidateJob(o, batchvalidation.JobValidationOptions{PodValidationOptions: pod}), true
	case *core.Service:
		return corevalidation.ValidateService(o), true
	case *core.ConfigMap:
		return corevalidation.ValidateConfigMap(o), true
	case *core.Secret:
		return corevalidation.ValidateSecret(o), true
	case *core.Namespace:
		return corevalidation.ValidateNamespace(o), true
	case *policy.PodDisruptionBudget:
		return policyvalidation.ValidatePodDisruptionBudget(o, policyvalidation.PodDisruptionBudgetValidationOptions{}), true
	case *autoscaling.HorizontalPodAutoscaler:
		return autoscalingvalidation.ValidateHorizontalPodAutoscaler(o), true
	case *networking.NetworkPolicy:
		return networkingvalidation.ValidateNetworkPolicy(o, networkingvalidation.NetworkPolicyValidationOptions{}), true
	case *networking.Ingress:
		return networkingvalidation.ValidateIngressCreate(o), true
	}
	return nil, false
}

// describe names a document as kind/name, read loosely, so that an error names its object even
// when strict decoding refused it.
func describe(doc []byte) string {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = sigsyaml.Unmarshal(doc, &head)
	return head.Kind + "/" + head.Metadata.Name
}

// builtinGroup says whether a document's API group is one of Kubernetes' own (the core group, a
// group without a dot such as apps, or *.k8s.io): an unknown version there is an error, not a skip.
func builtinGroup(doc []byte) bool {
	var head struct {
		APIVersion string `json:"apiVersion"`
	}
	_ = sigsyaml.Unmarshal(doc, &head)
	group, _, found := strings.Cut(head.APIVersion, "/")
	return !found || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

func main() {
	scheme := legacyscheme.Scheme
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	failed, checked := 0, 0
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Printf("read: %v\n", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		versioned, _, err := decoder.Decode(doc, nil, nil)
		if runtime.IsNotRegisteredError(err) && !builtinGroup(doc) {
			fmt.Printf("skipped: %v\n", err)
			continue
		}
		name := describe(doc)
		checked++
		if err != nil {
			fmt.Printf("error %s: %v\n", name, err)
			failed++
			continue
		}
		scheme.Default(versioned)
		internal, err := scheme.ConvertToVersion(versioned, runtime.InternalGroupVersioner)
		if err != nil {
			fmt.Printf("error %s: convert: %v\n", name, err)
			failed++
			continue
		}
		errs, known := validate(internal)
		if !known {
			// Counted as checked and failed: a built-in kind must not pass unvalidated.
			fmt.Printf("error %s: no validation wired for this kind in kubevalidate\n", name)
			failed++
			continue
		}
		for _, e := range errs {
			fmt.Printf("error %s: %v\n", name, e)
			failed++
		}
	}
	fmt.Printf("checked %d objects, %d errors\n", checked, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
