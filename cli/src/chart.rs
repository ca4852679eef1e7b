//! The SVG chart: speed-up of each workload's atomicperf design over its baseline, by thread
//! count, one line per workload.

use std::path::Path;

use atomicperf_bench::Report;
use plotters::prelude::*;

pub fn draw(report: &Report, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // One series per workload: its first non-baseline design (the atomicperf one) by threads.
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for c in report
        .cells
        .iter()
        .filter(|c| c.design.starts_with("atomicperf"))
    {
        match series.iter_mut().find(|(w, _)| *w == c.workload) {
            Some((_, points)) => points.push((c.threads as f64, c.speedup)),
            None => series.push((c.workload.clone(), vec![(c.threads as f64, c.speedup)])),
        }
    }
    let max_threads = report.threads.iter().copied().max().unwrap_or(1) as f64;
    let max_speedup = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, s)| *s))
        .fold(1.0f64, f64::max);

    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "atomicperf speed-up over the lock it replaces ({} CPUs, same run)",
                report.cpus
            ),
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            0.5f64..max_threads + 0.5,
            (0.1f64..max_speedup * 1.5).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("speed-up (x, log scale; 1 = baseline)")
        .x_labels(report.threads.len().max(2))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(0.5, 1.0), (max_threads + 0.5, 1.0)],
        BLACK.mix(0.4),
    ))?;
    for (i, (workload, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(workload.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
