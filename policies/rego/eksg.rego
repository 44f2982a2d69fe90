# Policy gates for the cmkguard/eks provider, on the JSON of a saved plan:
#
#   terraform plan -out=tfplan && terraform show -json tfplan > tfplan.json
#   conftest test --policy policies/rego tfplan.json
#
# Each message starts with its ID, names the resource address and says how to fix it. The IDs are
# those of the checkov policies in policies/checkov for the same property (CKV_EKSG_1 to 3);
# CKV_EKSG_4 and 5 need a plan, so only these Rego policies check them. The Policy gates guide
# (docs/guides/policy-gates.md) explains each one.
#
# Exceptions (the plan has no comments, so no inline skip): pass a data file with a reason per
# address, e.g. conftest test --policy policies/rego --data exceptions.json tfplan.json with
#   {"eksg_exceptions": {"CKV_EKSG_2": {"eks_encryption_config.handover": "moved to the platform state"}}}
# An exception without a reason (empty string) is ignored.
package main

import rego.v1

aws_managed_alias := `^(arn:aws[a-z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/`

# --- helpers --------------------------------------------------------------------------------

managed_changes contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
}

# Resources that exist after the plan is applied (not deleted, not forgotten).
remains(rc) if {
	not "delete" in rc.change.actions
	not "forget" in rc.change.actions
}

remains(rc) if {
	"create" in rc.change.actions
}

module_of(rc) := rc.module_address

module_of(rc) := "" if not rc.module_address

excepted(id, address) if {
	reason := data.eksg_exceptions[id][address]
	is_string(reason)
	trim_space(reason) != ""
}

# A cluster's own encryption_config names a key (known, or known after apply).
has_inline_key(rc) if {
	some ec in rc.change.after.encryption_config
	some p in ec.provider
	is_string(p.key_arn)
	p.key_arn != ""
}

has_inline_key(rc) if {
	some i, j
	rc.change.after_unknown.encryption_config[i].provider[j].key_arn == true
}

has_inline_key(rc) if rc.change.after_unknown.encryption_config == true

had_inline_key(rc) if {
	some ec in rc.change.before.encryption_config
	some p in ec.provider
	is_string(p.key_arn)
	p.key_arn != ""
}

guards contains rc if {
	some rc in managed_changes
	rc.type == "eks_encryption_config"
	remains(rc)
}

# A guard names the cluster by value: both names are known in the plan.
guarded(cluster) if {
	some g in guards
	is_string(cluster.change.after.name)
	g.change.after.cluster_name == cluster.change.after.name
}

# ...or by reference in the configuration, when a name is only known after apply: the guard's
# cluster_name (or for_each) refers to the cluster in the same module, or the guard is in a module
# whose input feeding cluster_name refers to the cluster in the calling module.
guarded(cluster) if {
	some [addr, ref] in guard_references
	addr == module_of(cluster)
	ref_names_cluster(ref, cluster)
}

ref_names_cluster(ref, cluster) if ref == sprintf("aws_eks_cluster.%s", [cluster.name])

ref_names_cluster(ref, cluster) if startswith(ref, sprintf("aws_eks_cluster.%s.", [cluster.name]))

ref_names_cluster(ref, cluster) if startswith(ref, sprintf("aws_eks_cluster.%s[", [cluster.name]))

# [module address, reference]: references, in that module, that feed a guard's cluster_name.
# In the guard's own module: its cluster_name and for_each references.
guard_references contains [config_module_address(path), ref] if {
	some path, m
	walk(input.configuration.root_module, [path, m])
	is_module_config(path)
	some r in m.resources
	r.type == "eks_encryption_config"
	some ref in guard_refs(r)
}

# In the calling module: the references of the module input that the guard reads as var.NAME.
guard_references contains [config_module_address(array.slice(path, 0, count(path) - 3)), ref] if {
	some path, m
	walk(input.configuration.root_module, [path, m])
	count(path) >= 3
	is_module_config(path)
	call := object.get(input.configuration.root_module, array.slice(path, 0, count(path) - 1), {})
	some r in m.resources
	r.type == "eks_encryption_config"
	some vref in guard_refs(r)
	startswith(vref, "var.")
	var := split(vref, ".")[1]
	some ref in object.get(call, ["expressions", var, "references"], [])
}

is_module_config(path) if count(path) == 0

is_module_config(path) if {
	count(path) >= 3
	path[count(path) - 1] == "module"
	path[count(path) - 3] == "module_calls"
}

# "module.a.module.b" for the path [module_calls, a, module, module_calls, b, module].
config_module_address(path) := concat(".", [sprintf("module.%s", [path[i + 1]]) |
	some i
	path[i] == "module_calls"
])

guard_refs(r) := array.concat(
	object.get(r, ["expressions", "cluster_name", "references"], []),
	object.get(r, ["for_each_expression", "references"], []),
)

# --- CKV_EKSG_1: every cluster has a customer managed key that stays --------------------------
deny contains msg if {
	some rc in managed_changes
	rc.type == "aws_eks_cluster"
	remains(rc)
	not has_inline_key(rc)
	not guarded(rc)
	not excepted("CKV_EKSG_1", rc.address)
	msg := sprintf(
		"CKV_EKSG_1: %s has no customer managed key that stays: no eks_encryption_config refers to it and its encryption_config names no key_arn. Fix: add resource \"eks_encryption_config\" with cluster_name = %s.name and a customer managed key_arn.",
		[rc.address, trim_suffix(rc.address, index_suffix(rc))],
	)
}

index_suffix(rc) := sprintf("[%s]", [json.marshal(rc.index)]) if object.get(rc, "index", null) != null

index_suffix(rc) := "" if object.get(rc, "index", null) == null

# --- CKV_EKSG_2: the guard keeps deletion_protection on ----------------------------------------
deny contains msg if {
	some rc in guards
	rc.change.after.deletion_protection == false
	not excepted("CKV_EKSG_2", rc.address)
	msg := sprintf(
		"CKV_EKSG_2: %s has deletion_protection = false, so a destroy or replacement plan is not refused. Fix: remove deletion_protection = false (it defaults to true), or record the hand-over with a reason in data.eksg_exceptions.CKV_EKSG_2.",
		[rc.address],
	)
}

# --- CKV_EKSG_3: the key is customer managed ----------------------------------------------------
deny contains msg if {
	some rc in guards
	is_string(rc.change.after.key_arn)
	regex.match(aws_managed_alias, rc.change.after.key_arn)
	not excepted("CKV_EKSG_3", rc.address)
	msg := sprintf(
		"CKV_EKSG_3: %s has key_arn = %q, an AWS managed key. Fix: set key_arn to a customer managed key (aws_kms_key.<name>.arn or its alias).",
		[rc.address, rc.change.after.key_arn],
	)
}

# --- CKV_EKSG_4 (plan only): no delete or replace of a guard over a customer managed key ---------
deny contains msg if {
	some rc in managed_changes
	rc.type == "eks_encryption_config"
	"delete" in rc.change.actions
	rc.change.before.key_type == "CUSTOMER_MANAGED"
	not excepted("CKV_EKSG_4", rc.address)
	msg := sprintf(
		"CKV_EKSG_4: this plan %s %s, the guard of cluster %s's customer managed key %s. Fix: keep the resource in the configuration with deletion_protection = true and the same cluster_name and key_arn; to stop managing it without a destroy, use a removed block with lifecycle { destroy = false } (Terraform 1.7+) or terraform state rm.",
		[delete_verb(rc), rc.address, rc.change.before.cluster_name, object.get(rc.change.before, "resolved_key_arn", rc.change.before.key_arn)],
	)
}

delete_verb(rc) := "replaces" if "create" in rc.change.actions

delete_verb(rc) := "destroys" if not "create" in rc.change.actions

# --- CKV_EKSG_5 (plan only): no plan removes encryption_config from a cluster --------------------
deny contains msg if {
	some rc in managed_changes
	rc.type == "aws_eks_cluster"
	remains(rc)
	had_inline_key(rc)
	not has_inline_key(rc)
	not excepted("CKV_EKSG_5", rc.address)
	msg := sprintf(
		"CKV_EKSG_5: this plan removes encryption_config from %s (%s). EKS cannot remove a cluster's key: the plan replaces the cluster or fails. Fix: keep the encryption_config block, or guard the key with eks_encryption_config and add lifecycle { ignore_changes = [encryption_config] } to the cluster.",
		[rc.address, concat(" ", rc.change.actions)],
	)
}
