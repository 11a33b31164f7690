/// An opaque 8-bit RGB colour for charts.
public struct ChartColor: Sendable, Equatable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// This colour mixed with white: 0 keeps it, 1 gives white.
    public func lightened(_ amount: Double) -> ChartColor {
        let t = min(max(amount, 0), 1)
        func mix(_ c: UInt8) -> UInt8 { UInt8((Double(c) + (255 - Double(c)) * t).rounded()) }
        return ChartColor(red: mix(red), green: mix(green), blue: mix(blue))
    }

    public static let white = ChartColor(red: 255, green: 255, blue: 255)
    public static let black = ChartColor(red: 0, green: 0, blue: 0)
    /// Text and axes.
    public static let ink = ChartColor(red: 40, green: 40, blue: 40)
    /// Grid lines.
    public static let grid = ChartColor(red: 225, green: 225, blue: 225)
    /// The plot frame and legend border.
    public static let frame = ChartColor(red: 110, green: 110, blue: 110)

    /// Ten well-separated series colours (blue, orange, green, red, purple, brown, pink, grey, olive, cyan).
    public static let palette: [ChartColor] = [
        ChartColor(red: 31, green: 119, blue: 180), ChartColor(red: 255, green: 127, blue: 14),
        ChartColor(red: 44, green: 160, blue: 44), ChartColor(red: 214, green: 39, blue: 40),
        ChartColor(red: 148, green: 103, blue: 189), ChartColor(red: 140, green: 86, blue: 75),
        ChartColor(red: 227, green: 119, blue: 194), ChartColor(red: 127, green: 127, blue: 127),
        ChartColor(red: 188, green: 189, blue: 34), ChartColor(red: 23, green: 190, blue: 207),
    ]

    /// The palette colour for series number `index` (wrapping around).
    public static func series(_ index: Int) -> ChartColor {
        palette[((index % palette.count) + palette.count) % palette.count]
    }
}
