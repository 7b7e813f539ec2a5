"""Word lists for the demo company. Plain ASCII without tabs, commas or backslashes, so rows go to COPY as is."""

from __future__ import annotations

FIRST_NAMES = (
    "Aaron Abigail Adam Adrian Aisha Alan Alba Alex Alice Amara Amir Ana Andrea Andrew Anika Anna Arjun Ava Ben "
    "Bianca Bruno Carla Carlos Caroline Chen Chloe Chris Clara Daniel David Diego Dmitri Elena Eli Elif Emily "
    "Emma Eric Esther Ethan Eva Fatima Felix Fiona Francesca Gabriel Grace Hannah Hana Hugo Ian Ines Isaac "
    "Isabel Ivan Jack Jade James Jana Javier Jin Joan Johan John Jonas Jose Julia Kai Karen Kenji Laila Lars "
    "Laura Leo Lena Liam Lina Lucas Lucia Luis Maja Marco Maria Mark Marta Maya Mei Mia Michael Mila Mohamed "
    "Nadia Nina Noah Nora Olga Oliver Omar Oscar Paula Pedro Priya Rafael Rania Rosa Ruth Sam Sara Sean Sofia "
    "Sven Tara Theo Tom Valentina Victor Wei Yara Yusuf Zoe"
).split()

LAST_NAMES = (
    "Abbott Adams Ahmed Alvarez Andersen Bailey Baker Bauer Becker Bennett Berg Bianchi Brooks Brown Campbell "
    "Carter Castro Chang Chen Clarke Cohen Collins Cruz Dahl Das Davies Dubois Edwards Evans Fischer Fontaine "
    "Garcia Gomez Gonzalez Graham Gupta Hall Hansen Hartmann Hayes Hernandez Hoffmann Hughes Ito Jackson Jansen "
    "Jensen Johansson Johnson Jones Kaur Keller Khan Kim Klein Koch Kowalski Kumar Larsen Lee Lindqvist Lopez "
    "Martin Martinez Meyer Miller Moreau Morgan Murphy Nakamura Nguyen Nielsen Novak Olsen Ortiz Park Patel "
    "Perez Peters Petrov Price Quinn Ramos Reed Reyes Richter Rivera Roberts Rossi Russo Sanchez Santos "
    "Schmidt Schneider Schulz Sharma Silva Singh Smith Sousa Stewart Suzuki Tanaka Taylor Thomas Torres "
    "Turner Vargas Varga Visser Wagner Walker Wang Weber Wilson Wong Wright Yamamoto Young Zhang Zimmermann"
).split()

COMPANY_HEADS = (
    "Acme Apex Arbor Atlas Aurora Beacon Birch Blue Bright Cedar Cobalt Crest Delta Ember Evergreen Falcon "
    "Fjord Granite Harbor Helix Horizon Iron Juniper Keystone Lumen Maple Meridian Nimbus Nova Oak Orbit "
    "Pioneer Polar Prism Quartz Redwood Ridge Sage Silver Solar Summit Swift Terra Tidal True Vector Zenith"
).split()

COMPANY_TAILS = (
    "Analytics Bio Cloud Data Dynamics Energy Foods Freight Health Industries Insights Labs Logistics Media "
    "Metrics Networks Partners Retail Robotics Security Software Systems Tech Works"
).split()

COMPANY_SUFFIXES = ("", "Inc", "Group", "GmbH", "Ltd", "Corp", "AG", "BV", "SA", "Co")

INDUSTRIES = (
    "Software", "Financial services", "Healthcare", "Manufacturing", "Retail", "Logistics", "Media",
    "Education", "Energy", "Professional services", "Telecommunications", "Consumer goods",
)

# (ISO code, weight): a US-heavy B2B book of business with Europe second.
COUNTRIES = (
    ("US", 34), ("GB", 12), ("DE", 11), ("FR", 7), ("NL", 6), ("CA", 6), ("SE", 4), ("ES", 4), ("AU", 5),
    ("IN", 5), ("JP", 3), ("BR", 3),
)

TITLES = (
    "Chief Executive Officer", "Chief Financial Officer", "Chief Technology Officer", "Chief Data Officer",
    "VP of Marketing", "VP of Sales", "VP of Engineering", "VP of Operations", "Head of Analytics",
    "Head of Growth", "Director of IT", "Director of Finance", "Director of Data Science", "Marketing Manager",
    "Sales Operations Manager", "Product Manager", "Data Analyst", "Business Analyst", "Data Engineer",
    "Software Engineer", "Operations Manager", "Finance Manager", "Revenue Operations Lead", "BI Developer",
)

# Where a contact first came from, named the way marketers write it in a CRM.
SOURCES = (
    ("Organic search", 22), ("Paid search", 14), ("Paid social", 10), ("Webinar", 9), ("Event", 7),
    ("Referral", 8), ("Partner", 6), ("Outbound", 10), ("Content download", 9), ("Direct", 5),
)

CONSENT = (("opted_in", 48), ("legitimate_interest", 30), ("unknown", 17), ("opted_out", 5))

PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")

PRODUCTS = ("Analytics Platform", "Data Warehouse", "Dashboards", "Forecasting Suite", "Enterprise Plan")

REJECT_REASONS = (
    "No budget this year", "Not the decision maker", "Timing: revisit next quarter", "Already under contract",
    "No real project yet",
)
DISQUALIFY_REASONS = ("Student", "Competitor", "Job seeker", "Outside our market", "Fake details")
LOST_REASONS = ("Price", "Chose a competitor", "No decision", "Missing feature", "Budget cut")
CHURN_REASONS = ("Budget cut", "Moved to a competitor", "Company acquired")

CALL_OUTCOMES = ("connected", "left_voicemail", "no_answer", "busy")
