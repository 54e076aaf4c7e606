using Meshwork.Config.Reading;

namespace Meshwork.Config.Binding;

/// <summary>
/// A field whose content Meshwork does not interpret (Kubernetes <c>status</c>, <c>managedFields</c>):
/// accepted as written and kept for dumps. Equality is by reference, as nothing compares it.
/// </summary>
public sealed record RawValue(ConfigNode Node);
