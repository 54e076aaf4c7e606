using System.Text.Json;
using Envoy.Type.Matcher.V3;
using Meshwork.Proxy.Routing;

namespace Meshwork.Proxy.Authorization;

/// <summary>
/// Envoy's MetadataMatcher on the request's dynamic metadata. The only metadata Meshwork has is the
/// JWT identity, under Istio's <c>istio_authn</c> filter name: keys <c>request.auth.principal</c>,
/// <c>request.auth.audiences</c>, <c>request.auth.presenter</c>, and <c>request.auth.claims</c>
/// followed by the claim's path (nested objects). A path with no value fails every matcher but
/// <c>invert</c>, as in Envoy; a single string stands for a one-element list, as Istio stores claims.
/// </summary>
internal sealed class RbacMetadataMatcher : RbacMatcher
{
    public const string AuthnFilter = "istio_authn";

    private readonly string _filter;
    private readonly string[] _path;
    private readonly ValueCheck _value;
    private readonly bool _invert;

    private RbacMetadataMatcher(string filter, string[] path, ValueCheck value, bool invert)
    {
        _filter = filter;
        _path = path;
        _value = value;
        _invert = invert;
    }

    public static RbacMetadataMatcher Compile(MetadataMatcher matcher, string where)
    {
        if (matcher.Filter.Length == 0 || matcher.Path.Count == 0 || matcher.Value == null)
        {
            throw new ProxyConfigException($"{where}: filter, path and value are required");
        }

        var path = matcher.Path.Select((p, i) => p.Key.Length > 0 ? p.Key : throw new ProxyConfigException($"{where}.path[{i}]: key is required")).ToArray();
        return new RbacMetadataMatcher(matcher.Filter, path, ValueCheck.Compile(matcher.Value, where + ".value"), matcher.Invert);
    }

    public override bool Matches(in AuthorizationInput input) => _value.Matches(Lookup(input.RequestIdentity)) != _invert;

    /// <summary>The value at the path: a string, a list of strings, a JSON value, or null when absent.</summary>
    private object? Lookup(RequestIdentity? identity)
    {
        if (identity == null || _filter != AuthnFilter)
        {
            return null;
        }

        switch (_path[0])
        {
            case "request.auth.principal" when _path.Length == 1:
                return identity.Principal;
            case "request.auth.audiences" when _path.Length == 1:
                return identity.Audiences;
            case "request.auth.presenter" when _path.Length == 1:
                return identity.Presenter;
            case "request.auth.claims":
                var element = identity.Claims;
                for (var i = 1; i < _path.Length; i++)
                {
                    if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(_path[i], out element))
                    {
                        return null;
                    }
                }

                return _path.Length > 1 ? element : null;
            default:
                return null;
        }
    }

    /// <summary>Envoy's ValueMatcher: null, double, string, bool, present, list (one_of) and or.</summary>
    private abstract class ValueCheck
    {
        public abstract bool Matches(object? value);

        public static ValueCheck Compile(ValueMatcher matcher, string where) => matcher.MatchPatternCase switch
        {
            ValueMatcher.MatchPatternOneofCase.StringMatch => new StringCheck(StringMatch.Compile(matcher.StringMatch, where + ".string_match")),
            ValueMatcher.MatchPatternOneofCase.PresentMatch => new PresentCheck(matcher.PresentMatch),
            ValueMatcher.MatchPatternOneofCase.BoolMatch => new BoolCheck(matcher.BoolMatch),
            ValueMatcher.MatchPatternOneofCase.NullMatch => new NullCheck(),
            ValueMatcher.MatchPatternOneofCase.ListMatch when matcher.ListMatch.OneOf != null => new ListCheck(Compile(matcher.ListMatch.OneOf, where + ".list_match.one_of")),
            ValueMatcher.MatchPatternOneofCase.OrMatch => new OrCheck(matcher.OrMatch.ValueMatchers.Select((m, i) => Compile(m, $"{where}.or_match[{i}]")).ToArray()),
            _ => throw new ProxyConfigException($"{where}: value matcher {matcher.MatchPatternCase} is not supported"),
        };
    }

    private sealed class StringCheck(StringMatch match) : ValueCheck
    {
        public override bool Matches(object? value) => value switch
        {
            string text => match.Matches(text),

            // Audiences are a list; a string matcher on them asks for any one (Istio writes one per value).
            IReadOnlyList<string> list => list.Any(v => match.Matches(v)),
            JsonElement { ValueKind: JsonValueKind.String } element => match.Matches(element.GetString()!),
            _ => false,
        };
    }

    private sealed class PresentCheck(bool present) : ValueCheck
    {
        public override bool Matches(object? value) => (value != null) == present;
    }

    private sealed class BoolCheck(bool expected) : ValueCheck
    {
        public override bool Matches(object? value) =>
            value is JsonElement { ValueKind: JsonValueKind.True or JsonValueKind.False } element && element.GetBoolean() == expected;
    }

    private sealed class NullCheck : ValueCheck
    {
        public override bool Matches(object? value) => value is JsonElement { ValueKind: JsonValueKind.Null };
    }

    private sealed class ListCheck(ValueCheck item) : ValueCheck
    {
        public override bool Matches(object? value) => value switch
        {
            string => item.Matches(value),
            IReadOnlyList<string> list => list.Any(v => item.Matches(v)),
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Any(e => item.Matches(e)),
            JsonElement { ValueKind: JsonValueKind.String } => item.Matches(value),
            _ => false,
        };
    }

    private sealed class OrCheck(ValueCheck[] checks) : ValueCheck
    {
        public override bool Matches(object? value) => checks.Any(c => c.Matches(value));
    }
}
