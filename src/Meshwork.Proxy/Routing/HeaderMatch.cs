using System.Globalization;
using Envoy.Config.Route.V3;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Envoy's HeaderMatcher compiled once (HeaderUtility::HeaderData): string matchers (the
/// <c>string_match</c> field and the older direct fields), ranges, presence, inversion and
/// <c>treat_missing_header_as_empty</c>. A missing header fails every matcher except
/// <c>present_match: false</c>, and inversion flips that result, so an inverted matcher on a missing
/// header matches. Reads pseudo-headers from the request's properties.
/// </summary>
internal sealed class HeaderMatch
{
    private enum Kind { String, Range, Present }

    private readonly Kind _kind;
    private readonly StringMatch? _string;
    private readonly long _rangeStart;
    private readonly long _rangeEnd;
    private readonly bool _present;
    private readonly bool _invert;
    private readonly bool _treatMissingAsEmpty;
    private readonly RequestValueSource _source;

    private HeaderMatch(string name, Kind kind, StringMatch? value, long rangeStart, long rangeEnd, bool present, bool invert, bool treatMissingAsEmpty)
    {
        Name = name;
        _kind = kind;
        _string = value;
        _rangeStart = rangeStart;
        _rangeEnd = rangeEnd;
        _present = present;
        _invert = invert;
        _treatMissingAsEmpty = treatMissingAsEmpty;
        _source = RequestValues.SourceOf(name);
    }

    public string Name { get; }

    public static HeaderMatch Compile(HeaderMatcher matcher, string where)
    {
        if (matcher.Name.Length == 0)
        {
            throw new ProxyConfigException($"{where}: header matcher has no name");
        }

        var at = $"{where}: header \"{matcher.Name}\"";
        var name = matcher.Name.ToLowerInvariant();
        var invert = matcher.InvertMatch;
        var missingAsEmpty = matcher.TreatMissingHeaderAsEmpty;
        return matcher.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => Of(StringMatch.Compile(matcher.StringMatch, at)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => Of(StringMatch.Exact(matcher.ExactMatch)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => Of(StringMatch.Prefix(matcher.PrefixMatch)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SuffixMatch => Of(StringMatch.Suffix(matcher.SuffixMatch)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ContainsMatch => Of(StringMatch.Contains(matcher.ContainsMatch)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch => Of(StringMatch.Regex(matcher.SafeRegexMatch, at)),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.RangeMatch => matcher.RangeMatch.Start < matcher.RangeMatch.End
                ? new HeaderMatch(name, Kind.Range, null, matcher.RangeMatch.Start, matcher.RangeMatch.End, false, invert, missingAsEmpty)
                : throw new ProxyConfigException($"{at}: range_match start {matcher.RangeMatch.Start} must be below end {matcher.RangeMatch.End}"),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch => new HeaderMatch(name, Kind.Present, null, 0, 0, matcher.PresentMatch, invert, missingAsEmpty),

            // No specifier: Envoy treats the matcher as "present" (the header must exist).
            _ => new HeaderMatch(name, Kind.Present, null, 0, 0, true, invert, missingAsEmpty),
        };

        HeaderMatch Of(StringMatch value) => new(name, Kind.String, value, 0, 0, false, invert, missingAsEmpty);
    }

    public bool Matches(HttpRequest request) => MatchesValue(RequestValues.Get(request, _source, Name));

    /// <summary>For response headers (retriable_headers): no pseudo-headers there.</summary>
    public bool Matches(IHeaderDictionary headers) =>
        MatchesValue(headers.TryGetValue(Name, out var values) && values.Count > 0 ? values.ToString() : null);

    private bool MatchesValue(string? value)
    {
        if (value == null && !_treatMissingAsEmpty)
        {
            var absentResult = _kind == Kind.Present && !_present;
            return absentResult != _invert;
        }

        var text = value ?? string.Empty;
        var result = _kind switch
        {
            Kind.String => _string!.Matches(text),
            Kind.Range => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= _rangeStart && number < _rangeEnd,
            _ => _present,
        };
        return result != _invert;
    }
}
