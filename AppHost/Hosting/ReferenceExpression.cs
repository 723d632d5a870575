namespace Platform.Hosting;

/// <summary>
/// A value known in two forms: the manifest placeholder (<c>{redis.bindings.tcp.port}</c>) when the model is
/// published, and the concrete value once the orchestrator has allocated ports and generated secrets.
/// </summary>
public interface IValueReference
{
    string ValueExpression { get; }

    string GetValue();
}

/// <summary>
/// A string template over <see cref="IValueReference"/>s, built from an interpolated string as Aspire's
/// <c>ReferenceExpression.Create($"...")</c> is. One template serves both the manifest and the running app, so
/// the two cannot drift apart.
/// </summary>
public sealed class ReferenceExpression : IValueReference
{
    private readonly object[] parts;

    private ReferenceExpression(object[] parts) => this.parts = parts;

    public static ReferenceExpression Create(FormattableString template)
    {
        var format = template.Format;
        var parts = new List<object>();
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c != '{') { literal.Append(c); continue; }

            var end = format.IndexOf('}', i);
            var index = int.Parse(format.AsSpan(i + 1, end - i - 1), System.Globalization.CultureInfo.InvariantCulture);
            if (literal.Length > 0) { parts.Add(literal.ToString()); literal.Clear(); }
            parts.Add(template.GetArgument(index) switch
            {
                IValueReference value => value,
                string text => text,
                var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "",
            });
            i = end;
        }

        if (literal.Length > 0) parts.Add(literal.ToString());
        return new ReferenceExpression([.. parts]);
    }

    public static ReferenceExpression Literal(string value) => new([value]);

    public string ValueExpression => string.Concat(parts.Select(p => p is IValueReference v ? v.ValueExpression : (string)p));

    public string GetValue() => string.Concat(parts.Select(p => p is IValueReference v ? v.GetValue() : (string)p));

    public override string ToString() => ValueExpression;
}
