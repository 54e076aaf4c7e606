using System.Net;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Istio.Mixer.V1;
using Istio.Mixer.V1.Config.Client;
using Meshwork.Config.Resources;
using Meshwork.Pilot.Model;
using MixerConfig = Meshwork.Config.Mixer;

namespace Meshwork.Pilot.Generators.Mixer;

/// <summary>
/// Istio 1.4's Mixer plugin (pilot/pkg/networking/plugin/mixer) for a sidecar's inbound HTTP
/// listeners: the <c>mixer</c> HTTP filter (typed config HttpClientConfig) that checks each request
/// with Mixer and reports it. Its transport names the check and report clusters and the fail policy
/// (FAIL_CLOSE unless <c>policyCheckFailOpen</c>); its attributes identify the destination workload;
/// the service it fronts gets a ServiceConfig (keyed by host) with the <c>destination.service.*</c>
/// attributes and the QuotaSpecs a QuotaSpecBinding binds to it.
/// </summary>
public static class MixerFilter
{
    /// <summary>Istio 1.4's filter name (the proxy also accepts <c>envoy.filters.http.mixer</c>).</summary>
    public const string Name = "mixer";

    /// <summary>The destination service the inbound listener fronts, as Istio's mixer attributes name it.</summary>
    public sealed record Destination(string Host, string ServiceNamespace, string Address, uint Port);

    /// <summary>The filter for one inbound HTTP port, or null when the mesh has no Mixer.</summary>
    public static HttpFilter? Inbound(MeshSnapshot snapshot, ProxyNode proxy, Destination destination)
    {
        var mesh = snapshot.Mesh;
        if (!MixerServers.Enabled(mesh))
        {
            return null;
        }

        var check = MixerServers.Check(mesh);
        var report = MixerServers.Report(mesh);
        var transport = new TransportConfig
        {
            NetworkFailPolicy = new NetworkFailPolicy
            {
                Policy = mesh.PolicyCheckFailOpen ? NetworkFailPolicy.Types.FailPolicy.FailOpen : NetworkFailPolicy.Types.FailPolicy.FailClose,
                BaseRetryWait = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(80)),
                MaxRetryWait = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            },
            CheckCluster = check is { } c ? MixerServers.ClusterName(c) : string.Empty,
            ReportCluster = report is { } r ? MixerServers.ClusterName(r) : string.Empty,
            ReportBatchMaxEntries = 100,
            ReportBatchMaxTime = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        };
        var workload = proxy.WorkloadName.Length > 0 ? proxy.WorkloadName : proxy.Name;
        var uid = $"kubernetes://{proxy.Name}.{proxy.Namespace}";
        var attributes = new Attributes();
        Set(attributes, "context.reporter.kind", "inbound");
        Set(attributes, "context.reporter.uid", uid);
        Set(attributes, "destination.uid", uid);
        Set(attributes, "destination.name", proxy.Name);
        Set(attributes, "destination.namespace", proxy.Namespace);
        Set(attributes, "destination.workload.name", workload);
        Set(attributes, "destination.workload.namespace", proxy.Namespace);
        Set(attributes, "destination.mesh.id", mesh.EffectiveTrustDomain);
        if (proxy.ServiceAccount.Length > 0)
        {
            Set(attributes, "destination.principal", $"{mesh.EffectiveTrustDomain}/ns/{proxy.Namespace}/sa/{proxy.ServiceAccount}");
        }

        if (IPAddress.TryParse(destination.Address, out var ip))
        {
            // Istio sends IPv4 addresses in their 16-byte mapped form.
            attributes.Attributes_["destination.ip"] = new Attributes.Types.AttributeValue { BytesValue = ByteString.CopyFrom(ip.MapToIPv6().GetAddressBytes()) };
        }

        attributes.Attributes_["destination.port"] = new Attributes.Types.AttributeValue { Int64Value = destination.Port };
        var labels = new Attributes.Types.StringMap();
        foreach (var (key, value) in proxy.Labels)
        {
            labels.Entries[key] = value;
        }

        attributes.Attributes_["destination.labels"] = new Attributes.Types.AttributeValue { StringMapValue = labels };

        var service = new ServiceConfig { DisableCheckCalls = check == null, DisableReportCalls = report == null, MixerAttributes = new Attributes() };
        var shortName = destination.Host.Split('.')[0];
        Set(service.MixerAttributes, "destination.service.host", destination.Host);
        Set(service.MixerAttributes, "destination.service.name", shortName);
        Set(service.MixerAttributes, "destination.service.namespace", destination.ServiceNamespace);
        Set(service.MixerAttributes, "destination.service.uid", $"istio://{destination.ServiceNamespace}/services/{shortName}");
        service.QuotaSpec.AddRange(QuotaSpecsFor(snapshot, destination.Host, shortName, destination.ServiceNamespace));

        var config = new HttpClientConfig
        {
            Transport = transport,
            MixerAttributes = attributes,
            DefaultDestinationService = destination.Host,
            ServiceConfigs = { [destination.Host] = service },
        };
        return new HttpFilter { Name = Name, TypedConfig = Any.Pack(config) };
    }

    /// <summary>The QuotaSpecs of every QuotaSpecBinding naming the service (by name and namespace, full host, or <c>*</c>), in config order.</summary>
    internal static IEnumerable<QuotaSpec> QuotaSpecsFor(MeshSnapshot snapshot, string host, string name, string serviceNamespace)
    {
        var specs = snapshot.Config.OfKind(ResourceKinds.QuotaSpec).ToDictionary(r => (r.Namespace, r.Name));
        foreach (var binding in snapshot.Config.OfKind(ResourceKinds.QuotaSpecBinding).OrderBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var spec = binding.SpecAs<MixerConfig.QuotaSpecBinding>();
            if (!spec.Services.Any(s => Binds(s, binding.Namespace, host, name, serviceNamespace)))
            {
                continue;
            }

            foreach (var reference in spec.QuotaSpecs)
            {
                var ns = reference.Namespace.Length > 0 ? reference.Namespace : binding.Namespace;
                if (specs.TryGetValue((ns, reference.Name), out var found))
                {
                    yield return Translate(found.SpecAs<MixerConfig.QuotaSpec>());
                }
            }
        }
    }

    private static bool Binds(MixerConfig.IstioServiceRef service, string bindingNamespace, string host, string name, string serviceNamespace)
    {
        if (service.Service.Length > 0)
        {
            return service.Service == "*" || service.Service == host;
        }

        var ns = service.Namespace.Length > 0 ? service.Namespace : bindingNamespace;
        return service.Name == name && ns == serviceNamespace;
    }

    private static QuotaSpec Translate(MixerConfig.QuotaSpec spec)
    {
        var result = new QuotaSpec();
        foreach (var rule in spec.Rules)
        {
            var translated = new QuotaRule();
            foreach (var match in rule.Match)
            {
                var clause = new AttributeMatch();
                foreach (var (attribute, value) in match.Clause)
                {
                    clause.Clause[attribute] = value switch
                    {
                        { Exact: { } exact } => new StringMatch { Exact = exact },
                        { Prefix: { } prefix } => new StringMatch { Prefix = prefix },
                        { Regex: { } regex } => new StringMatch { Regex = regex },
                        _ => new StringMatch(),
                    };
                }

                translated.Match.Add(clause);
            }

            translated.Quotas.AddRange(rule.Quotas.Select(q => new Quota { Quota_ = q.Name, Charge = q.Charge }));
            result.Rules.Add(translated);
        }

        return result;
    }

    private static void Set(Attributes attributes, string name, string value) =>
        attributes.Attributes_[name] = new Attributes.Types.AttributeValue { StringValue = value };
}
