using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Rbac.V3;
using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// One node of a compiled RBAC permission or principal (Envoy's RBAC matchers): and, or, not, any,
/// and the leaf checks on addresses, ports, SNI, headers, path, peer identity and metadata. Built
/// once when the listener arrives; evaluation only reads the input.
/// </summary>
internal abstract class RbacMatcher
{
    public abstract bool Matches(in AuthorizationInput input);

    public static RbacMatcher Compile(Permission permission, string where) => permission.RuleCase switch
    {
        Permission.RuleOneofCase.AndRules => new All(Each(permission.AndRules.Rules, where + ".and_rules", Compile)),
        Permission.RuleOneofCase.OrRules => new AnyOf(Each(permission.OrRules.Rules, where + ".or_rules", Compile)),
        Permission.RuleOneofCase.Any => permission.Any ? Always.Instance : throw new ProxyConfigException($"{where}.any: must be true"),
        Permission.RuleOneofCase.NotRule => new Not(Compile(permission.NotRule, where + ".not_rule")),
        Permission.RuleOneofCase.Header => new Header(HeaderMatch.Compile(permission.Header, where + ".header")),
        Permission.RuleOneofCase.UrlPath => new UrlPath(PathMatch(permission.UrlPath, where + ".url_path")),
        Permission.RuleOneofCase.DestinationIp => new Address(Cidr.Compile(permission.DestinationIp, where + ".destination_ip"), AddressKind.Destination),
        Permission.RuleOneofCase.DestinationPort => permission.DestinationPort <= 65535
            ? new Port((int)permission.DestinationPort, (int)permission.DestinationPort + 1)
            : throw new ProxyConfigException($"{where}.destination_port: {permission.DestinationPort} is not a port"),
        Permission.RuleOneofCase.DestinationPortRange => permission.DestinationPortRange.Start < permission.DestinationPortRange.End
            ? new Port(permission.DestinationPortRange.Start, permission.DestinationPortRange.End)
            : throw new ProxyConfigException($"{where}.destination_port_range: start must be below end"),
        Permission.RuleOneofCase.Metadata => RbacMetadataMatcher.Compile(permission.Metadata, where + ".metadata"),
        Permission.RuleOneofCase.RequestedServerName => new ServerName(StringMatch.Compile(permission.RequestedServerName, where + ".requested_server_name")),
        _ => throw new ProxyConfigException($"{where}: permission has no rule"),
    };

    public static RbacMatcher Compile(Principal principal, string where) => principal.IdentifierCase switch
    {
        Principal.IdentifierOneofCase.AndIds => new All(Each(principal.AndIds.Ids, where + ".and_ids", Compile)),
        Principal.IdentifierOneofCase.OrIds => new AnyOf(Each(principal.OrIds.Ids, where + ".or_ids", Compile)),
        Principal.IdentifierOneofCase.Any => principal.Any ? Always.Instance : throw new ProxyConfigException($"{where}.any: must be true"),
        Principal.IdentifierOneofCase.NotId => new Not(Compile(principal.NotId, where + ".not_id")),
        Principal.IdentifierOneofCase.Authenticated => new Authenticated(principal.Authenticated.PrincipalName is { } name ? StringMatch.Compile(name, where + ".authenticated.principal_name") : null),

        // source_ip (deprecated) is the connection's peer, like direct_remote_ip.
        Principal.IdentifierOneofCase.SourceIp => new Address(Cidr.Compile(principal.SourceIp, where + ".source_ip"), AddressKind.DirectRemote),
        Principal.IdentifierOneofCase.DirectRemoteIp => new Address(Cidr.Compile(principal.DirectRemoteIp, where + ".direct_remote_ip"), AddressKind.DirectRemote),
        Principal.IdentifierOneofCase.RemoteIp => new Address(Cidr.Compile(principal.RemoteIp, where + ".remote_ip"), AddressKind.Remote),
        Principal.IdentifierOneofCase.Header => new Header(HeaderMatch.Compile(principal.Header, where + ".header")),
        Principal.IdentifierOneofCase.UrlPath => new UrlPath(PathMatch(principal.UrlPath, where + ".url_path")),
        Principal.IdentifierOneofCase.Metadata => RbacMetadataMatcher.Compile(principal.Metadata, where + ".metadata"),
        _ => throw new ProxyConfigException($"{where}: principal has no identifier"),
    };

    private static RbacMatcher[] Each<T>(IReadOnlyList<T> items, string where, Func<T, string, RbacMatcher> compile)
    {
        if (items.Count == 0)
        {
            throw new ProxyConfigException($"{where}: needs at least one entry");
        }

        return items.Select((item, i) => compile(item, $"{where}[{i}]")).ToArray();
    }

    private static StringMatch PathMatch(Envoy.Type.Matcher.V3.PathMatcher matcher, string where) =>
        matcher.Path != null ? StringMatch.Compile(matcher.Path, where + ".path") : throw new ProxyConfigException($"{where}: path is required");

    private sealed class Always : RbacMatcher
    {
        public static readonly Always Instance = new();

        public override bool Matches(in AuthorizationInput input) => true;
    }

    private sealed class All(RbacMatcher[] parts) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input)
        {
            foreach (var part in parts)
            {
                if (!part.Matches(input))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class AnyOf(RbacMatcher[] parts) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input)
        {
            foreach (var part in parts)
            {
                if (part.Matches(input))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class Not(RbacMatcher inner) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => !inner.Matches(input);
    }

    /// <summary>Headers exist only for HTTP: on a connection a header matcher never matches (Envoy's network RBAC).</summary>
    private sealed class Header(HeaderMatch match) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => input.Request != null && match.Matches(input.Request);
    }

    /// <summary>The normalized path without query.</summary>
    private sealed class UrlPath(StringMatch match) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => input.Path != null && match.Matches(input.Path);
    }

    private enum AddressKind { DirectRemote, Remote, Destination }

    private sealed class Address(Cidr range, AddressKind kind) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => range.Contains(kind switch
        {
            AddressKind.DirectRemote => input.DirectRemoteIp,
            AddressKind.Remote => input.RemoteIp,
            _ => input.DestinationIp,
        });
    }

    /// <summary>A port range, end exclusive.</summary>
    private sealed class Port(int start, int end) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => input.DestinationPort >= start && input.DestinationPort < end;
    }

    private sealed class ServerName(StringMatch match) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => match.Matches(input.ServerName ?? string.Empty);
    }

    /// <summary>A verified peer certificate (and its identity, when a name is given); a plaintext peer never matches.</summary>
    private sealed class Authenticated(StringMatch? name) : RbacMatcher
    {
        public override bool Matches(in AuthorizationInput input) => input.PeerPrincipal != null && (name == null || name.Matches(input.PeerPrincipal));
    }
}

/// <summary>An Envoy CidrRange compiled: the network's bytes and prefix length; IPv4-mapped IPv6 addresses compare as IPv4.</summary>
internal sealed class Cidr
{
    private readonly byte[] _network;
    private readonly int _prefix;

    private Cidr(byte[] network, int prefix)
    {
        _network = network;
        _prefix = prefix;
    }

    public static Cidr Compile(CidrRange range, string where)
    {
        if (!IPAddress.TryParse(range.AddressPrefix, out var address))
        {
            throw new ProxyConfigException($"{where}: address_prefix \"{range.AddressPrefix}\" is not an IP address");
        }

        var bytes = address.GetAddressBytes();
        var prefix = (int)(range.PrefixLen ?? (uint)(bytes.Length * 8));
        if (prefix > bytes.Length * 8)
        {
            throw new ProxyConfigException($"{where}: prefix_len {prefix} is too long for {range.AddressPrefix}");
        }

        return new Cidr(bytes, prefix);
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6 && _network.Length == 4)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length) || length != _network.Length)
        {
            return false;
        }

        var whole = _prefix / 8;
        if (!bytes[..whole].SequenceEqual(_network.AsSpan(0, whole)))
        {
            return false;
        }

        var rest = _prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (bytes[whole] & mask) == (_network[whole] & mask);
    }
}
